"""Hot topics at scale: `find_topics` over N demands (default 100,000), timed by stage.

    .venv/bin/python bench/bench_hot_topics.py [--n 100000] [--seed 1]

The demands are the real messages of HOTLINE_DATA_DIR (messages_with_votes, _unlabeled,
_labeled: about 8,100 distinct texts), each sampled again and again with a perturbation, so
that the set has what a province's quarter has: many repeats of one problem, each worded a
little differently, by different citizens, on different days. A perturbation drops a random
tenth of the content's sentences and a random 3 % of characters, and moves one message in
five to another county of its city (which makes it a different place). Prints the stages of
the pipeline (vectors, grouping, ranking and naming) and the total.
"""

import argparse
import csv
import os
import random
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

FILES = ["messages_with_votes.csv", "messages_unlabeled.csv", "messages_labeled.csv"]
_COUNTY = re.compile(r"A\d区|A\d县")


def base_messages(data: Path) -> list[dict]:
    rows = []
    for name in FILES:
        path = data / name
        if path.is_file():
            with path.open(encoding="utf-8") as f:
                rows.extend(csv.DictReader(f))
    if not rows:
        raise SystemExit(f"no messages in {data}")
    return rows


def perturb(text: str, rng: random.Random) -> str:
    sentences = re.split(r"(?<=[。！？；，])", text)
    kept = [s for s in sentences if rng.random() > 0.1] or sentences[:1]
    return "".join(c for c in "".join(kept) if rng.random() > 0.03)


def demands(n: int, seed: int):
    from django.conf import settings

    from hotline.analytics.topics import Demand

    rng = random.Random(seed)
    rows = base_messages(Path(settings.DATA_DIR))
    t0 = datetime(2025, 7, 1)
    out = []
    for i in range(n):
        row = rng.choice(rows)
        title, content = row["title"], row["content"][:600]
        if rng.random() < 0.2:  # another county: the same words, another place
            county = f"A{rng.randint(1, 9)}{rng.choice('区县')}"
            title, content = _COUNTY.sub(county, title), _COUNTY.sub(county, content)
        title = perturb(title, rng) if rng.random() < 0.5 else title
        out.append(Demand(
            key=i, title=title, text=f"{title} {perturb(content, rng)}",
            citizen=f"U{rng.randrange(n)}", region="", place="",
            at=t0 + timedelta(minutes=rng.randrange(90 * 24 * 60)),
            votes=int(row.get("likes") or 0),
        ))  # fmt: skip
    return out, len(rows)


def _children_cpu() -> float:
    """CPU of the finished worker processes (the pair tiles and text preparation fork)."""
    t = os.times()
    return t.children_user + t.children_system


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import django

    django.setup()
    from hotline.analytics import grouping, topics

    made = time.perf_counter()
    data, bases = demands(args.n, args.seed)
    print(f"demands: {len(data):,} from {bases:,} real messages "
          f"(built in {time.perf_counter() - made:.1f}s)")  # fmt: skip

    topics.naming.words("预热分词词典")  # jieba loads its dictionaries once per process
    started = time.perf_counter()
    vectors, regions = topics._vectors(data)
    t_vec = time.perf_counter()
    labels = grouping.group(vectors)
    t_group = time.perf_counter()
    cpu, workers = time.process_time(), _children_cpu()
    found = topics.find_topics(data, limit=10)
    t_all = time.perf_counter()
    cpu, workers = time.process_time() - cpu, _children_cpu() - workers
    # find_topics repeats the first two stages; its own time is the figure that counts.
    total = t_all - t_group
    groups = len(set(labels.tolist())) - sum(1 for c in _sizes(labels) if c == 1)
    print(f"vectors: {t_vec - started:.1f}s  grouping: {t_group - t_vec:.1f}s  "
          f"groups of ≥2: {groups:,}")  # fmt: skip
    print(f"find_topics (vectors, grouping, ranking, naming the top 10): {total:.1f}s wall, "
          f"{cpu:.1f}s CPU (+ {workers:.1f}s in worker processes); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    for k, t in enumerate(found, start=1):
        print(f"  {k:2}. {t.title}  件数 {t.size} 诉求人 {t.citizens} 热度 {t.heat}")


def _sizes(labels):
    from collections import Counter

    return Counter(labels.tolist()).values()


if __name__ == "__main__":
    main()
