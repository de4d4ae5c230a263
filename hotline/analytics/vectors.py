"""Demands as vectors: character bigrams counted in bulk with numpy, weighed by TF-IDF.

Counting bigrams text by text in Python (scikit-learn's char analyzer) took 15 s of CPU for
20,000 demands; here all texts are joined, turned into one array of code points, and the
(demand, bigram) pairs counted with one `np.unique`: about a second for 100,000. Bigrams
across a space, a punctuation mark or two demands are not counted: they are not words.
"""

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, diags
from sklearn.preprocessing import normalize

MAX_CONTENT = 300  # characters of content: what the demand is about comes first
MAX_DF = 0.05
MIN_DROP = 50
TOP_TERMS = 30
TITLE_WEIGHT = 0.6
_SHIFT = 21  # bits of a code point


@dataclass
class Vectors:
    problem: csr_matrix  # one L2-normalised row per demand
    place: csr_matrix  # L2-normalised, an empty row where no place is known
    city: np.ndarray  # city id, -1 unknown
    county: np.ndarray  # county id, -1 unknown
    codes: np.ndarray  # the bigram (as a code) of each problem column, sorted
    df: np.ndarray  # document frequency per problem column, for naming

    @property
    def size(self) -> int:
        return self.problem.shape[0]

    def df_of(self, bigram: str) -> int | None:
        """How many demands use `bigram` (None when no two do, or it is not a bigram)."""
        if len(bigram) != 2:
            return None
        code = (ord(bigram[0]) << _SHIFT) | ord(bigram[1])
        k = int(np.searchsorted(self.codes, code))
        return int(self.df[k]) if k < len(self.codes) and self.codes[k] == code else None


def _wordlike(codes: np.ndarray) -> np.ndarray:
    cjk = (codes >= 0x3400) & (codes <= 0x9FFF)
    return cjk | ((codes >= 48) & (codes <= 57)) | ((codes >= 97) & (codes <= 122))


def _pairs(texts: list[str]) -> np.ndarray:
    """One key per bigram occurrence: demand index (high bits) and bigram code."""
    if not texts:
        return np.array([], dtype=np.int64)
    joined = "\x00".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)[: len(codes)]
    word = _wordlike(codes)
    ok = word[:-1] & word[1:]
    bigram = (codes[:-1] << _SHIFT) | codes[1:]
    return (doc[:-1][ok] << (2 * _SHIFT)) | bigram[ok]


def count(*sides: list[str]) -> tuple[list[csr_matrix], np.ndarray]:
    """Bigram counts of each list of texts (one row per text), over one shared vocabulary."""
    keys = [np.unique(_pairs(texts), return_counts=True) for texts in sides]
    mask = (1 << (2 * _SHIFT)) - 1
    vocab = _sorted_unique(np.concatenate([k & mask for k, _ in keys]))
    out = []
    for (k, c), texts in zip(keys, sides, strict=True):
        cols = np.searchsorted(vocab, k & mask)
        m = csr_matrix((c.astype(np.float32), (k >> (2 * _SHIFT), cols)),
                       shape=(len(texts), len(vocab)))  # fmt: skip
        out.append(m)
    return out, vocab


def _tfidf(counts: csr_matrix, df: np.ndarray, n: int, max_df: float) -> csr_matrix:
    keep = (df >= 2) & (df <= max(MIN_DROP, max_df * n))
    idf = np.where(keep, np.log((1 + n) / (1 + df)) + 1, 0).astype(np.float32)
    m = counts.copy()
    m.data = 1 + np.log(m.data)  # sublinear tf: a repeated word is not twice the topic
    m = (m @ diags(idf)).tocsr()
    m.eliminate_zeros()
    return normalize(m)


def vectorize(titles, contents, places, city, county) -> Vectors:
    """Problem and place vectors of demands (texts already stripped of regions and places)."""
    n = len(titles)
    (title, content), codes = count(titles, [c[:MAX_CONTENT] for c in contents])
    present = title.copy()
    present.data[:] = 1
    df = np.asarray(((present + content) > 0).sum(axis=0)).ravel()
    mixed = TITLE_WEIGHT * _tfidf(title, df, n, MAX_DF)
    mixed += (1 - TITLE_WEIGHT) * _tfidf(content, df, n, MAX_DF)
    problem = normalize(top_terms(normalize(mixed).tocsr(), TOP_TERMS))
    if any(places):
        (pc,), _ = count(places)
        place = _tfidf(pc, np.asarray((pc > 0).sum(axis=0)).ravel(), n, 1.0)
    else:
        place = csr_matrix((n, 1), dtype=np.float32)
    return Vectors(problem, place, city, county, codes, df)


def top_terms(m: csr_matrix, k: int) -> csr_matrix:
    """Each row's k largest entries (ties at the k-th kept)."""
    m.sum_duplicates()
    lengths = np.diff(m.indptr)
    if not (lengths > k).any():
        return m
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), lengths)
    # One int64 sort by (row, value descending): a positive float32's bits order like its
    # value, so a row's k-th largest sits k-1 after the row's start (lexsort took 9 s).
    values = m.data.astype(np.float32)  # the vectors' own precision
    bits = values.view(np.int32).astype(np.int64)
    keys = np.sort((rows << 32) | (0x7FFFFFFF - bits))
    kth = np.full(m.shape[0], -np.inf, dtype=np.float32)
    long = np.flatnonzero(lengths > k)
    kth_bits = 0x7FFFFFFF - (keys[m.indptr[long] + k - 1] & 0xFFFFFFFF)
    kth[long] = kth_bits.astype(np.int32).view(np.float32)
    keep = values >= kth[rows]
    return csr_matrix((m.data[keep], (rows[keep], m.indices[keep])), shape=m.shape)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting: numpy's hash table took 1.5 s for the 30 million keys of 100,000
    demands, a sort a fifth of that."""
    values = np.sort(values)
    first = np.empty(len(values), dtype=bool)
    first[:1] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]
