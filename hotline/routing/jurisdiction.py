"""Jurisdiction: which region a demand belongs to, from its address and its text.

Names are matched with and without their suffix (福州市/福州, 闽侯县/闽侯, 鼓东街道/鼓东), plus the
landmarks administrators add. In the address field every name counts. In free text only the
distinctive names count on their own (cities, full county names, landmarks); a county's short
name or a town's name counts only when a city or county above it is named too, because
"平和", "永安", "连城" are everyday words and "高桥镇", "城关镇" exist in every province (on the
data set's messages from another province this rule takes false places from 95 to a few).
A town's short name never counts in free text. Each candidate region scores the weight of
the names that point at it or at a region above it (address 3, text 1); the best wins. A tie
between regions in different places falls back to what they share below the province, else
unknown: the anonymised "A市/A1区" of the data set and ambiguous names stay unknown.
"""

import time
from dataclasses import dataclass

from hotline.orgs.models import Region, RegionLevel

from .textprep import clean, title_content

SUFFIXES = ("街道", "市", "区", "县", "镇", "乡")
ALIASES = {"平潭综合实验区": ("平潭",)}
ADDRESS_WEIGHT, TEXT_WEIGHT = 3, 1
MAX_TEXT = 1000  # place names sit in the first lines; scanning more only costs time
CACHE_SECONDS = 60.0
# How far a name is trusted in free text: on its own, with a named region above it, never.
STRONG, SUPPORTED, ADDRESS_ONLY = 2, 1, 0


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    name: str
    level: str
    path: str
    parent_id: int | None


@dataclass
class Match:
    region: Place | None
    words: list[str]  # the names that decided it


class _Index:
    def __init__(self, regions: list[Place], landmarks: list[tuple[str, int]]):
        self.places = {p.id: p for p in regions}
        self.root_ids = {p.id for p in regions if p.parent_id is None}
        names: dict[str, tuple[set[int], int]] = {}  # name → (region ids, trust)

        def add(name: str, rid: int, trust: int):
            name = clean(name, 64)
            if len(name) < 2:
                return
            ids, old = names.get(name, (set(), ADDRESS_ONLY))
            ids.add(rid)
            names[name] = (ids, max(old, trust))

        for p in regions:
            town = p.level == RegionLevel.TOWN
            add(p.name, p.id, SUPPORTED if town else STRONG)
            for alias in ALIASES.get(p.name, ()):
                add(alias, p.id, STRONG)
            for suffix in SUFFIXES:
                if p.name.endswith(suffix) and len(p.name) - len(suffix) >= 2:
                    short = p.name[: -len(suffix)]
                    trust = {RegionLevel.CITY: STRONG, RegionLevel.COUNTY: SUPPORTED}
                    add(short, p.id, trust.get(p.level, ADDRESS_ONLY))
                    break
        for name, rid in landmarks:
            if rid in self.places:
                add(name, rid, STRONG)
        # first two characters → names starting with them, longest first
        self.by_prefix: dict[str, list[tuple[str, set[int], int]]] = {}
        for name, (ids, trust) in names.items():
            self.by_prefix.setdefault(name[:2], []).append((name, ids, trust))
        for bucket in self.by_prefix.values():
            bucket.sort(key=lambda e: -len(e[0]))

    def scan(self, text: str, address: bool) -> list[tuple[str, set[int], int]]:
        """(name, region ids, trust) of each name in `text`, longest match first."""
        found, i = [], 0
        while i < len(text) - 1:
            step = 1
            for name, ids, trust in self.by_prefix.get(text[i : i + 2], ()):
                if (address or trust > ADDRESS_ONLY) and text.startswith(name, i):
                    found.append((name, ids, STRONG if address else trust))
                    step = len(name)  # 鼓楼区 is not also 鼓楼 + 楼区
                    break
            i += step
        return found

    def chain(self, rid: int) -> list[int]:
        out = []
        while rid is not None:
            out.append(rid)
            rid = self.places[rid].parent_id
        return out


_cache: tuple[float, _Index] | None = None


def _index() -> _Index:
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        from .models import Landmark

        regions = [
            Place(*row)
            for row in Region.objects.values_list(
                "id", "code", "name", "level", "path", "parent_id"
            )
        ]
        landmarks = list(Landmark.objects.values_list("name", "region_id"))
        _cache = (now, _Index(regions, landmarks))
    return _cache[1]


def invalidate() -> None:
    global _cache
    _cache = None


def resolve(*, address: str | None = "", title: str | None = "", content: str | None = "") -> Match:
    """The region of a demand, or `Match(None, [])` when the text does not say."""
    idx = _index()
    hits = [(n, ids, ADDRESS_WEIGHT, t) for n, ids, t in idx.scan(clean(address, 200), True)]
    title, content = title_content(title, content)  # the classifier's cached copies
    text = title + " " + content[:MAX_TEXT]
    hits += [(n, ids, TEXT_WEIGHT, t) for n, ids, t in idx.scan(text, False)]
    strong = set().union(*(ids for _, ids, _, t in hits if t == STRONG)) - idx.root_ids
    kept = []
    for name, ids, weight, trust in hits:
        if trust == SUPPORTED:
            # keep the regions of this name that lie below a strongly named region
            ids = {rid for rid in ids if strong & set(idx.chain(rid)[1:])}
        if ids:
            kept.append((name, ids, weight))
    if not kept:
        return Match(None, [])
    score: dict[int, int] = {}
    words: dict[int, list[str]] = {}
    for rid in set().union(*(ids for _, ids, _ in kept)):
        chain = set(idx.chain(rid))
        for name, ids, weight in kept:
            if ids & chain:
                score[rid] = score.get(rid, 0) + weight
                if name not in words.setdefault(rid, []):
                    words[rid].append(name)
    top = max(score.values())
    best = [rid for rid, s in score.items() if s == top]
    if len(best) == 1:
        return Match(idx.places[best[0]], words[best[0]])
    # Several regions score alike: keep what they share, unless that is only the province.
    common = set(idx.chain(best[0]))
    for rid in best[1:]:
        common &= set(idx.chain(rid))
    deepest = max(common, key=lambda rid: len(idx.places[rid].path), default=None)
    if deepest is None or deepest in idx.root_ids:
        return Match(None, [])
    return Match(idx.places[deepest], sorted({w for rid in best for w in words[rid]}))
