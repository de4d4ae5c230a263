"""Segmentation for the knowledge base: rule-4 normaliser, then jieba, minus stop words.

jieba keeps a process-wide dictionary; it is loaded once, on first use (about 0.7 s), with the
words of `data/userdict.txt` so that 社保卡 or 公积金 stay whole.
"""

import logging
import re
import threading
from functools import cache
from pathlib import Path

from hotline.text import normalize

DATA = Path(__file__).resolve().parent / "data"
SYNONYMS_FILE = DATA / "synonyms.txt"

# Words that say how a citizen asks, not what about: they would match every article.
STOP_WORDS = frozenset(
    line.strip()
    for line in (DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_lock = threading.Lock()


@cache
def _jieba():
    import jieba

    with _lock:
        jieba.setLogLevel(logging.WARNING)
        jieba.load_userdict(str(DATA / "userdict.txt"))
        jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Search tokens of `text`, repeats kept (they are term frequencies): 社保卡 → 社保, 社保卡."""
    jieba = _jieba()
    return [
        t
        for t in jieba.lcut_for_search(normalize(text))
        if t.strip() and t not in STOP_WORDS and _WORD.search(t)
    ]


def parse_synonyms(lines) -> dict[str, set[str]]:
    """Map each term to the terms it widens to (itself excluded), from lines as in synonyms.txt."""
    table: dict[str, set[str]] = {}
    for raw in lines:
        line = normalize(raw.split("#", 1)[0])
        if not line:
            continue
        if "=>" in line:
            left, right = (part.split() for part in line.split("=>", 1))
        else:
            left = right = line.split()
        for term in left:
            table.setdefault(term, set()).update(t for t in left + right if t != term)
    return table


def builtin_synonym_lines() -> list[str]:
    return SYNONYMS_FILE.read_text(encoding="utf-8").splitlines()


def expand(tokens: list[str], synonyms: dict[str, set[str]]) -> dict[str, float]:
    """Query terms with their weights: 1.0 for what was typed, 0.6 for a near term.

    A near term is segmented like the text it would match, so 社会保障卡 also adds 社会, 保障.
    """
    weights = {t: 1.0 for t in tokens}
    for t in tokens:
        for near in synonyms.get(t, ()):
            for part in tokenize(near) or [near]:
                weights.setdefault(part, 0.6)
    return weights
