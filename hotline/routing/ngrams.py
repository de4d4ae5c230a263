"""TF-IDF of character 1–2-grams with a fitted vocabulary, at dispatch speed.

scikit-learn's `TfidfVectorizer.transform` counts n-grams one at a time in a Python loop
(`_count_vocab`): two thirds of a dispatch suggestion's CPU time (bench/bench_routing.py,
2026-12-07). Here every character becomes its code point and every bigram one integer, the
whole batch at once in NumPy, and the vocabulary is a sorted array of such integers; fitting,
the preprocessing (lower-casing, white-space runs) and the TF-IDF weighting stay
scikit-learn's own, so the matrix is the same one (tests/routing/test_ngrams.py compares them,
on real messages too). Any other vectoriser set-up goes to scikit-learn unchanged.
"""

import weakref

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

_PLANE = 0x110000  # one past the last code point: bigram (a, b) is (a + 1) * _PLANE + b
_tables: "weakref.WeakKeyDictionary[TfidfVectorizer, tuple]" = weakref.WeakKeyDictionary()


def _is_plain_char_12(vec) -> bool:
    return (
        type(vec) is TfidfVectorizer
        and vec.analyzer == "char"
        and tuple(vec.ngram_range) == (1, 2)
        and vec.input == "content"
        and vec.preprocessor is None
        and not vec.binary
    )


def _code(gram: str) -> int:
    if len(gram) == 1:
        return ord(gram)
    return (ord(gram[0]) + 1) * _PLANE + ord(gram[1])


def _table(vec) -> tuple[np.ndarray, np.ndarray]:
    """The vocabulary as sorted n-gram codes and their columns, cached per fitted vocabulary."""
    cached = _tables.get(vec)
    if cached is not None and cached[0] is vec.vocabulary_:
        return cached[1], cached[2]
    codes = np.fromiter((_code(g) for g in vec.vocabulary_), dtype=np.int64)
    columns = np.fromiter(vec.vocabulary_.values(), dtype=np.int64)
    order = np.argsort(codes)
    _tables[vec] = (vec.vocabulary_, codes[order], columns[order])
    return codes[order], columns[order]


def _points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def transform(vec: TfidfVectorizer, docs: list[str]):
    """`vec.transform(docs)`, faster for a fitted character 1–2-gram vectoriser."""
    if not _is_plain_char_12(vec):
        return vec.transform(docs)
    preprocess, spaces = vec.build_preprocessor(), vec._white_spaces  # scikit-learn's own rules
    texts = [spaces.sub(" ", preprocess(vec.decode(doc))) for doc in docs]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    points = _points("".join(texts)).astype(np.int64)
    row = np.repeat(np.arange(len(texts)), lengths)
    inside = row[:-1] == row[1:]  # a bigram never spans two documents
    grams = np.concatenate([points, (points[:-1][inside] + 1) * _PLANE + points[1:][inside]])
    rows = np.concatenate([row, row[:-1][inside]])
    codes, columns = _table(vec)
    at = np.minimum(np.searchsorted(codes, grams), max(len(codes) - 1, 0))
    known = codes[at] == grams if len(codes) else np.zeros(len(grams), dtype=bool)
    counts = csr_matrix(
        (np.ones(int(known.sum()), dtype=vec.dtype), (rows[known], columns[at[known]])),
        shape=(len(docs), len(vec.vocabulary_)),
    )  # COO → CSR sums the repeats and sorts the indices, as scikit-learn's counts are
    return vec._tfidf.transform(counts, copy=False)
