"""Pretrained Chinese word vectors for the CV scripts (never for the product): the word2vec of
the PyPI sdist `synonyms==3.10.2` (`synonyms/data/words.vector`, 125,796 words x 100 dimensions,
trained on Chinese Wikipedia; binary word2vec format), read with numpy (gensim is not needed).

The file is third-party data and stays outside the repo: extract the sdist somewhere (e.g.
/tmp/synv) and pass the file by `--vectors PATH` or the environment variable SYNONYMS_VECTORS.
"""

import os
from pathlib import Path

ENV = "SYNONYMS_VECTORS"


def path_of(option: str | None = None) -> Path:
    """The vectors file named by the option or SYNONYMS_VECTORS; exits with a clear message if
    neither names a readable file."""
    found = option or os.environ.get(ENV)
    if not found or not Path(found).is_file():
        raise SystemExit(
            f"pretrained vectors not found ({found or f'no --vectors and no {ENV}'}): extract "
            "synonyms-3.10.2.tar.gz (PyPI sdist of `synonyms`) outside the repo and pass "
            f"synonyms/data/words.vector by --vectors PATH or {ENV}=PATH"
        )
    return Path(found)


def load(path: Path):
    """(words -> row dict, float32 matrix with rows of unit length, raw matrix)."""
    import numpy as np

    data = path.read_bytes()
    end = data.index(b"\n")
    count, dim = (int(v) for v in data[:end].split())
    pos, index, rows = end + 1, {}, np.empty((count, dim), dtype=np.float32)
    width = 4 * dim
    for i in range(count):
        while data[pos : pos + 1] in (b"\n", b" "):
            pos += 1
        space = data.index(b" ", pos)
        word = data[pos:space].decode("utf-8", errors="replace")
        rows[i] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + width
        index.setdefault(word, i)
    norm = np.linalg.norm(rows, axis=1, keepdims=True)
    return index, rows / np.maximum(norm, 1e-9), rows
