"""Grouping demands that speak of the same problem at the same place.

1. Two vectors per demand. The problem: TF-IDF of character bigrams of the text with region
   and place names taken out (the routing classifier found characters better than jieba
   words on these texts, and they cost a tenth), title and content each L2-normalised and
   mixed 60/40: titles are short and say the problem, contents are long and wander. The
   place: bigrams of the place names found in the text and of the address. Bigrams found in
   one demand only are dropped (they cannot make two demands alike), and so are those in
   more than MAX_DF of all demands (问题, 我们) — but never those in fewer than MIN_DROP: in
   a small set a topic's own words are a large share.
2. Each problem vector keeps its TOP_TERMS heaviest bigrams. This bounds the cost of the
   similarity product (a common bigram no longer meets every demand) and barely moves cosine,
   which the heavy terms dominate.
3. Pair score = problem cosine where a place is unknown; where both are known,
   0.55 × problem + 0.45 × place cosine, provided the problem cosine is at least PROBLEM_MIN
   and the place cosine at least PLACE_MIN: a shared place helps two demands with a similar
   problem together, but never links two different complaints about one estate, and the
   same complaint about two estates is two topics. A pair without a shared place must also
   share MIN_SHARED bigrams of their problem vectors: two short questions that share
   怎么办理 and nothing else are not one problem. Only pairs within one city (or where one
   city is unknown) are compared, and a pair whose counties are both known and differ is
   dropped. Candidate pairs are those with problem cosine ≥ LINK, computed in slices of rows.
4. Connected components of pairs scoring ≥ LINK, then average linkage inside each
   component, cut at an average score of GROUP: components alone chain (A like B, B like C,
   A unlike C); average linkage keeps a group only while its members are alike on average.
   The linkage reads the scores of every pair whose problem cosine reached PROBLEM_MIN
   (computed once, with the candidates); a pair below that counts as 0.
5. Groups are merged when their centroids score ≥ MERGE by the same rule. A centroid holds
   the words of all its members, so "夜宵摊污染空气" and "底层餐馆油烟扰民" at one estate —
   no bigram in common — meet through members that speak of both.
"""

import os

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.preprocessing import normalize

from . import parallel
from .vectors import Vectors, top_terms

PLACE_WEIGHT = 0.45  # of the score, where both places are known
PROBLEM_MIN = 0.12  # problem cosine below which a shared place links nothing
PLACE_MIN = 0.2  # place cosine below which two known places are different places
MIN_SHARED = 4  # problem bigrams a linked pair without a shared place has in common
LINK = 0.25  # score of a linked pair
GROUP = 0.22  # average score inside a group
MERGE = 0.3  # centroid score at which two groups become one
CENTROID_TERMS = 60
TILE = 2000  # rows and columns of one similarity product
MAX_DENSE = 2500  # a component larger than this is split at a higher LINK first
# Forking costs ~0.1 s and copies nothing until written; below this many demands the tiles
# are few and small, and tests and small calls stay in one process.
PARALLEL_MIN = 20_000
MAX_WORKERS = 2


def _combine(problem, place, both):
    mixed = (1 - PLACE_WEIGHT) * problem + PLACE_WEIGHT * place
    return np.where(
        both, np.where((problem >= PROBLEM_MIN) & (place >= PLACE_MIN), mixed, 0), problem
    )


def _scores(problem, place, both, common, min_shared: int) -> np.ndarray:
    score = _combine(problem, place, both)
    if min_shared > 1:
        score[~both & (common < min_shared)] = 0
    return score


def _conflict(v: Vectors, i, j) -> np.ndarray:
    ci, cj = v.county[i], v.county[j]
    return (ci >= 0) & (cj >= 0) & (ci != cj)


def _coded(m: csr_matrix, right: bool) -> csr_matrix:
    """Problem rows as complex numbers whose product sums to (shared bigrams + cosine / 2).

    (w_a / 2 + i)(w_b - i) has the real part w_a·w_b / 2 + 1: one sparse product gives both
    the cosine and the number of shared bigrams (cosine / 2 ≤ 0.5 < 1 keeps them apart),
    where counting the shared bigrams pair by pair cost more than the product itself.
    """
    data = m.data.astype(np.float64)
    data = data - 1j if right else data / 2 + 1j
    return csr_matrix((data, m.indices, m.indptr), shape=m.shape)


def _tiles(order: np.ndarray, n_rows: int):
    """(row tile, column tile) position ranges covering each pair of `order` once: rows are
    order[:n_rows], columns all of `order`, and a column tile never lies before its row tile."""
    for a in range(0, n_rows, TILE):
        for b in range(a, len(order), TILE):
            yield a, min(a + TILE, n_rows), b, min(b + TILE, len(order))


def pairs(
    v: Vectors,
    members: np.ndarray,
    link: float = LINK,
    min_shared: int = MIN_SHARED,
    *,
    workers: int | None = None,
):
    """Pairs (i, j, score) among `members` with i < j and score ≥ link.

    The tiles are independent: over PARALLEL_MIN members they are computed by `workers`
    forked processes (default: the CPUs, at most MAX_WORKERS), and gathered in the sequential
    order, so the pairs are the same either way.
    """
    city = v.city[members]
    unknown = members[city < 0]
    left, right = _coded(v.problem, False), _coded(v.problem, True)
    blocks = [(members[city == c], members[city == c]) for c in np.unique(city[city >= 0])]
    if len(unknown):
        blocks = [(rows, np.concatenate([cols, unknown])) for rows, cols in blocks]
        blocks.append((unknown, unknown))  # unknown cities meet every city, once
    work = _Work(v, left, right, link, min_shared)
    tasks = []
    for k, (rows, cols) in enumerate(blocks):
        # rows are cols[:len(rows)]: the upper triangle of cols × cols is every pair once.
        work.add(cols)
        tasks += [(k, a, a_end, b) for a, a_end, b, _ in _tiles(cols, len(rows))]
    if workers is None:
        workers = min(MAX_WORKERS, os.cpu_count() or 1) if len(members) > PARALLEL_MIN else 1
    found = parallel.run(work.tile, tasks, workers)
    if not found:
        return np.array([], int), np.array([], int), np.array([], np.float32)
    i, j, s = (np.concatenate(x) for x in zip(*found, strict=True))
    _, first = np.unique(i.astype(np.int64) * v.size + j, return_index=True)
    return i[first], j[first], s[first]


class _Work:
    """The matrices of every block, made before the workers fork so that they share them."""

    def __init__(self, v: Vectors, left, right, link: float, min_shared: int):
        self.v, self.left, self.right = v, left, right
        self.link, self.min_shared = link, min_shared
        self.known = np.diff(v.place.indptr) > 0
        self.blocks = []

    def add(self, cols: np.ndarray) -> None:
        v = self.v
        self.blocks.append((
            cols, self.left[cols], v.place[cols],
            [self.right[cols[b:e]].T.tocsr() for b, e in _col_tiles(len(cols))],
            [v.place[cols[b:e]].T.tocsr() for b, e in _col_tiles(len(cols))],
        ))  # fmt: skip

    def tile(self, task) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k, a, a_end, b = task
        cols, lhs, place, rhs, place_t = self.blocks[k]
        s = (lhs[a:a_end] @ rhs[b // TILE]).tocoo()
        total = s.data.real
        common = np.floor(total)
        problem = 2 * (total - common)
        r, c = s.row + a, s.col + b
        mask = (problem >= PROBLEM_MIN) & (c > r)
        r, c, problem, common = r[mask], c[mask], problem[mask], common[mask]
        i, j = cols[r], cols[c]
        keep = ~_conflict(self.v, i, j)
        r, c, i, j = r[keep], c[keep], i[keep], j[keep]
        problem, common = problem[keep], common[keep]
        both = self.known[i] & self.known[j]
        place_cos = np.zeros(len(i))
        if both.any():
            q = place[a:a_end] @ place_t[b // TILE]
            place_cos[both] = np.asarray(q[r[both] - a, c[both] - b]).ravel()
        score = _scores(problem, place_cos, both, common, self.min_shared)
        keep = score >= self.link
        lo, hi = np.minimum(i, j)[keep], np.maximum(i, j)[keep]
        return lo, hi, score[keep].astype(np.float32)


def _col_tiles(n: int):
    return [(b, min(b + TILE, n)) for b in range(0, n, TILE)]


def group(v: Vectors) -> np.ndarray:
    """A group label per demand; demands alike to none are groups of one."""
    n = v.size
    labels = np.arange(n)
    i, j, score = pairs(v, np.arange(n), PROBLEM_MIN)
    groups = [sub for members, (a, b, s) in _components(n, i, j, score, LINK)
              for sub in _average_linkage(members, a, b, s)]  # fmt: skip
    for k, root in enumerate(_merge(v, groups)):
        labels[groups[k]] = n + root
    return labels


def _merge(v: Vectors, groups: list[np.ndarray]) -> np.ndarray:
    """For each group, the index of the group it merges into (connected components)."""
    g = len(groups)
    if g < 2:
        return np.arange(g)
    rows = np.repeat(np.arange(g), [len(x) for x in groups])
    member = csr_matrix((np.ones(len(rows), np.float32), (rows, np.concatenate(groups))),
                        shape=(g, v.size))  # fmt: skip
    county = np.array([_common(v.county[x]) for x in groups])
    city = np.array([_common(v.city[x]) for x in groups])
    centroids = Vectors(
        problem=normalize(top_terms(normalize(member @ v.problem).tocsr(), CENTROID_TERMS)),
        place=normalize(member @ v.place).tocsr(), city=city, county=county,
        codes=v.codes, df=v.df,
    )  # fmt: skip
    i, j, _ = pairs(centroids, np.arange(g), MERGE, min_shared=1)
    _, comp = connected_components(csr_matrix((np.ones(len(i)), (i, j)), shape=(g, g)))
    return comp


def _common(values: np.ndarray) -> int:
    """The one known value of a group, or -1 when unknown or mixed."""
    known = {int(x) for x in values if x >= 0}
    return known.pop() if len(known) == 1 else -1


def _components(n, i, j, score, link):
    """Connected components (of ≥ 2) of the pairs scoring ≥ link, each with its own pairs in
    local numbering; a component too large for a dense matrix is cut at a higher score."""
    strong = score >= link
    graph = csr_matrix((np.ones(strong.sum()), (i[strong], j[strong])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    same = comp[i] == comp[j]
    i, j, score, label = i[same], j[same], score[same], comp[i[same]]
    by_pair = np.argsort(label, kind="stable")
    i, j, score, label = i[by_pair], j[by_pair], score[by_pair], label[by_pair]
    order = np.argsort(comp, kind="stable")
    cuts = np.flatnonzero(np.diff(comp[order])) + 1
    for members in np.split(order, cuts):
        if len(members) < 2:
            continue
        key = comp[members[0]]
        lo, hi = np.searchsorted(label, key, side="left"), np.searchsorted(label, key, side="right")
        a, b = _local(members, i[lo:hi], j[lo:hi])
        s = score[lo:hi]
        if len(members) > MAX_DENSE and link < 0.9:
            for sub, (sa, sb, ss) in _components(len(members), a, b, s, link + 0.05):
                yield members[sub], (sa, sb, ss)
        else:
            yield members, (a, b, s)


def _local(members: np.ndarray, i: np.ndarray, j: np.ndarray):
    """Global pair ends as positions within `members` (sorted by `np.split` order)."""
    order = np.argsort(members)
    pos_sorted = members[order]
    return order[np.searchsorted(pos_sorted, i)], order[np.searchsorted(pos_sorted, j)]


def _average_linkage(members, a, b, s):
    """Average linkage over the component's scored pairs (an unscored pair counts as 0)."""
    m = len(members)
    if m == 2 or (len(s) == m * (m - 1) // 2 and s.min() >= GROUP):
        yield members  # every pair scored and alike: the average cannot fall below GROUP
        return
    sim = np.zeros((m, m), dtype=np.float64)
    sim[a, b] = s
    sim[b, a] = s
    condensed = np.clip(1 - sim, 0, 1)[np.triu_indices(m, k=1)]
    cut = _cut(linkage(condensed, method="average"), m, 1 - GROUP)
    order = np.argsort(cut, kind="stable")
    for sub in np.split(order, np.flatnonzero(np.diff(cut[order])) + 1):
        if len(sub) > 1:
            yield members[sub]


def _cut(tree: np.ndarray, m: int, height: float) -> np.ndarray:
    """Flat clusters of a linkage tree cut at `height` (what fcluster does, without its
    validation, which cost more than the clustering on thousands of small components)."""
    label = np.arange(2 * m - 1)
    for k, (x, y, dist, _) in enumerate(tree):
        if dist <= height:
            label[m + k] = label[int(x)] = label[int(y)] = m + k
    # Follow each point up to the highest merge it joined.
    for node in range(2 * m - 2, -1, -1):
        if label[node] != node:
            label[node] = label[label[node]]
    return label[:m]
