"""Hot topics (热点): demands about the same problem at the same place, named and ranked.

`find_topics` works on plain `Demand` records, so that tickets and the public message board
data feed the same algorithm; `hot_topics` reads tickets of a period from a scoped queryset.
Vectors are made in `vectors.py`, groups found in `grouping.py`, named in `naming.py`.

Heat (热度) of a group:
    heat = (citizens + 0.5 × min(repeats, 2 × citizens) + 2 × ln(1 + votes))
           × (1 + 0.25 × min(max(growth, 0), 4))
A distinct citizen is one voice. A repeat (the same citizen again) is half a voice, and only
two repeats per citizen count: insistence is a signal, but one person writing forty-five
messages (the public data has one) is not a crowd. Votes (likes; a dislike is half a like, see
`sources.load_csv`) count by their logarithm: a thousand likes weigh about as much as fourteen
citizens who wrote in themselves. Growth (the last window against the one before) can at most
double the heat, so a fast-rising topic climbs past a large old one but a burst of two does
not outrank a hundred.
"""

import math
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from hotline.text import normalize

from . import grouping, naming, parallel
from .demand import Demand
from .places import generic_free, places, region_in_text, split_region, strip_regions
from .sources import period_tickets, ticket_demands
from .vectors import MAX_CONTENT, Vectors, vectorize

MIN_SIZE = 2  # one demand is not a topic, however many likes it has
# Grouping compares the demands of a city with each other: its pairs grow with the square of
# a period's demands. A province's month at 10 M tickets a year is ~800,000 demands, whose
# pairs outgrew 20 GB of memory (bench/bench_replica_reads.py). Above this many, the topics
# are found in a random sample of this many and their counts scaled to the whole: the hot
# topics are the largest groups, and a group of 1,000 demands in 800,000 still has ~60 in the
# sample (the month of 1 M tickets a year, ~80,000 demands, grouped whole in ~30 s).
SAMPLE_MAX = 50_000


@dataclass
class HotTopic:
    title: str  # "A市A5区 魅力之城小区 · 噪音 扰民": region, place, key phrases
    place: str
    phrases: list[str]
    size: int
    citizens: int
    growth: float
    repeats: int
    votes: int
    heat: float
    keys: list  # member Demand keys, newest first (of the sample, when sampled)
    region: str = ""
    first_at: datetime | None = None
    last_at: datetime | None = None
    samples: list[str] = field(default_factory=list)  # a few member titles
    scale: float = 1.0  # counts estimated from a sample: demands in the period ÷ in the sample


def heat_of(citizens: int, repeats: int, votes: int, growth: float) -> float:
    base = citizens + 0.5 * min(repeats, 2 * citizens) + 2 * math.log1p(max(votes, 0))
    return round(base * (1 + 0.25 * min(max(growth, 0.0), 4.0)), 2)


def _title_and_content(d: Demand) -> tuple[str, str]:
    if d.title:
        return d.title, d.text[len(d.title) :] if d.text.startswith(d.title) else d.text
    return d.text[:60], d.text[60:]


def _ids(values: list[str]) -> np.ndarray:
    table: dict[str, int] = {}
    return np.array([table.setdefault(v, len(table)) if v else -1 for v in values], dtype=np.int64)


def _vectors(demands: list[Demand]) -> tuple[Vectors, list[str]]:
    """The vectors, and each demand's region (given, or read from its text).

    Titles, regions and places repeat (a hot topic is many demands alike): what depends on
    them alone is computed once per distinct value, which took the text preparation of
    100,000 demands from 9 s to 8 s of CPU (bench texts are perturbed; real ones repeat more).
    """
    n = len(demands)
    workers = min(grouping.MAX_WORKERS, os.cpu_count() or 1) if n > grouping.PARALLEL_MIN else 1
    # Contiguous halves, joined in order: the same lists as one pass (the caches only save
    # work, each half keeps its own).
    spans = [(k * n // workers, (k + 1) * n // workers) for k in range(workers)]
    parts = parallel.run(lambda span: _prepare(demands[span[0] : span[1]]), spans, workers)
    titles, contents, place_texts, cities, counties, regions = (
        [x for part in parts for x in part[k]] for k in range(6)
    )
    v = vectorize(titles, contents, place_texts, _ids(cities), _ids(counties))
    return v, regions


def _prepare(demands: list[Demand]):
    """Title, content and place texts, city, county and region of each demand."""
    titles, contents, place_texts, cities, counties, regions = [], [], [], [], [], []
    by_title: dict[tuple[str, str], tuple[str, list[str], list[str]]] = {}
    by_region: dict[str, tuple[str, str]] = {}
    by_place: dict[tuple[str, str, str], str] = {}
    for d in demands:
        title, content = _title_and_content(d)
        region = d.region or region_in_text(title + content[:100])
        if region not in by_region:
            by_region[region] = split_region(region)
        city, county = by_region[region]
        key = (title, region)
        if key not in by_title:
            t = normalize(title)
            names = places(t)
            longest_first = sorted(set(names), key=len, reverse=True)
            t = strip_regions(t, region)
            for name in longest_first:
                t = t.replace(name, " ")
            by_title[key] = (t, names, longest_first)
        title, names, longest_first = by_title[key]
        content = strip_regions(normalize(content[:MAX_CONTENT]), region)
        for name in longest_first:
            content = content.replace(name, " ")
        pkey = (d.place, region, key[0])
        if pkey not in by_place:
            place = strip_regions(normalize(d.place), region)
            by_place[pkey] = generic_free(" ".join([place, *names]))
        place_texts.append(by_place[pkey])
        titles.append(title)
        contents.append(content)
        cities.append(city)
        counties.append(county)
        regions.append(region)
    return titles, contents, place_texts, cities, counties, regions


def find_topics(
    demands: list[Demand], *, limit: int | None = 10, now: datetime | None = None
) -> list[HotTopic]:
    """Group `demands`, rank the groups by heat, name the first `limit` (all when None).

    Growth compares the last quarter of the demands' span (at least a day) with the quarter
    before, ending at `now` (default: the newest demand).
    """
    ranked, vectors = group_topics(demands, now=now)
    chosen = ranked if limit is None else ranked[:limit]
    name_topics(chosen, demands, vectors)
    return chosen


def group_topics(demands: list[Demand], *, now: datetime | None = None):
    """Every group of at least MIN_SIZE demands, heat-ranked, not yet named; and the vectors."""
    if not demands:
        return [], None
    vectors, regions = _vectors(demands)
    labels = grouping.group(vectors)
    ats = [d.at for d in demands]
    now = now or max(ats)
    window = max(timedelta(days=1), (now - min(ats)) / 4)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    ranked = [
        _measure([demands[i] for i in members], [regions[i] for i in members], now, window)
        for members in np.split(order, bounds)
        if len(members) >= MIN_SIZE
    ]
    ranked.sort(key=lambda t: (-t.heat, -t.size, str(t.keys[0])))
    return ranked, vectors


def name_topics(topics: list[HotTopic], demands: list[Demand], vectors) -> None:
    by_key = {d.key: d for d in demands}
    for topic in topics:
        naming.name(topic, [by_key[k] for k in topic.keys], vectors)


def _measure(members: list[Demand], regions: list[str], now, window) -> HotTopic:
    region_counts = Counter(r for r in regions if r)
    members.sort(key=lambda d: d.at, reverse=True)
    citizens = len({d.citizen or f"#{d.key}" for d in members})
    recent = sum(1 for d in members if now - window < d.at <= now)
    prior = sum(1 for d in members if now - 2 * window < d.at <= now - window)
    growth = round((recent - prior) / max(prior, 1), 2)
    votes = sum(d.votes for d in members)
    repeats = len(members) - citizens
    return HotTopic(
        title="", place="", phrases=[], size=len(members), citizens=citizens, growth=growth,
        repeats=repeats, votes=votes, heat=heat_of(citizens, repeats, votes, growth),
        keys=[d.key for d in members], region=region_counts.most_common(1)[0][0] if region_counts else "",
        first_at=members[-1].at, last_at=members[0].at,
    )  # fmt: skip


def hot_topics(
    tickets, start: datetime, end: datetime, *, limit: int = 10, sample_max: int | None = None
) -> list[HotTopic]:
    """Hot topics of the tickets created in [start, end); `tickets` is already scoped.

    Over `sample_max` (SAMPLE_MAX) demands, the topics of a random sample (the same for the
    same period and demands) with size, citizens, repeats and votes scaled to the whole.
    """
    demands, scale = sampled_demands(tickets, start, end, sample_max)
    topics = find_topics(demands, limit=limit, now=end)
    return scaled(topics, scale) if scale > 1 else topics


def sampled_demands(
    tickets, start: datetime, end: datetime, sample_max: int | None = None
) -> tuple[list[Demand], float]:
    """The period's demands, or a random sample of `sample_max` (SAMPLE_MAX) of them (the same
    for the same period and demands); and the demands in the period ÷ those returned."""
    sample_max = SAMPLE_MAX if sample_max is None else sample_max
    period = period_tickets(tickets, start, end)
    if period.count() <= sample_max:  # the common case: no list of keys to read
        return ticket_demands(tickets, start, end), 1.0
    keys = list(period.order_by("pk").values_list("pk", flat=True))
    seed = f"{start.isoformat()}|{end.isoformat()}|{len(keys)}|{keys[-1]}"
    chosen = random.Random(seed).sample(keys, sample_max)
    return ticket_demands(tickets, start, end, chosen), len(keys) / sample_max


def scaled(topics: list[HotTopic], scale: float) -> list[HotTopic]:
    """Topics of a sample with their counts scaled by `scale`, ranked again by heat."""
    for t in topics:
        t.scale = scale
        t.size, t.citizens = round(t.size * scale), round(t.citizens * scale)
        t.repeats, t.votes = round(t.repeats * scale), round(t.votes * scale)
        t.heat = heat_of(t.citizens, t.repeats, t.votes, t.growth)
    return sorted(topics, key=lambda t: (-t.heat, -t.size, str(t.keys[0])))
