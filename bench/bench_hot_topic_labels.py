"""Hot topics against a reader's labels: precision at 5 and 10, members per problem.

    .venv/bin/python bench/bench_hot_topic_labels.py [--labels tests/data/labels/hot_topics.csv]
        [--set GROUP=0.18 --set TITLE_WEIGHT=0.5 ...]

Runs the product's ranking (`analytics.topics.group_topics`, the same as `hotline topics
--csv`) on the whole of HOTLINE_DATA_DIR/messages_with_votes.csv and matches each topic to the
labelled problems (hotline/analytics/topic_eval.py; the guide is
docs/labelling-hot-topics.md). Prints the first 10 topics with their verdicts, P@5, P@10, how
many of the reader's five hottest are in the first ten, and each problem's member precision
and recall against the topic holding most of its members, also for the odd- and the
even-numbered problems apart (tune on one half, look at the other). `--set` changes a constant
of analytics.grouping or analytics.vectors for this run only (a sensitivity check, not a
setting: the product reads none of this).
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")


def run(labels_path: Path, data_dir: Path):
    """The evaluation of the shipped ranking on the votes data (tests call this too)."""
    from hotline.analytics import sources, topic_eval, topics

    demands = sources.load_csv(data_dir / "messages_with_votes.csv")
    ranked, vectors = topics.group_topics(demands)
    topics.name_topics(ranked[:10], demands, vectors)
    return topic_eval.evaluate(ranked, topic_eval.load_labels(labels_path)), len(demands)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", default=str(ROOT / "tests/data/labels/hot_topics.csv"))
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    import django

    django.setup()
    from hotline.analytics import grouping, vectors

    for item in args.set:
        name, value = item.split("=", 1)
        module = next(m for m in (grouping, vectors) if hasattr(m, name))
        setattr(module, name, type(getattr(module, name))(value))
        print(f"{module.__name__}.{name} = {value}")
    from django.conf import settings

    started = time.perf_counter()
    ev, n = run(Path(args.labels), Path(settings.DATA_DIR))
    took = time.perf_counter() - started
    print(f"{n:,} messages, {len(ev.topics):,} topics of ≥2 in {took:.1f}s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, shared machine)")  # fmt: skip
    for t in ev.topics[:10]:
        verdict = "hit " if t.hit else "MIXED" if t.mixed else "dup " if t.problem else "miss"
        print(f"  {t.rank:2}. {verdict} {t.problem or '—':4} size {t.size:3} {t.title}  {t.counts}")
    print(f"P@5 {ev.precision_at(5):.2f}  P@10 {ev.precision_at(10):.2f}  "
          f"reader's top 5 in first 10: {ev.found_of_top(5, 10)}/5  "
          f"top 10 in first 10: {ev.found_of_top(10, 10)}/10")  # fmt: skip
    print("problem  rank  size  topic#  found/topic  member-precision  member-recall")
    for p in ev.problems:
        print(f"  {p.pid}  {p.rank:4}  {p.size:4}  {p.topic_rank or '—':>6}  "
              f"{p.found:3}/{p.topic_size:<3}  {p.precision:16.2f}  {p.recall:13.2f}  {p.title}")  # fmt: skip
    print(f"mean member precision {ev.mean('precision'):.2f}, "
          f"mean member recall {ev.mean('recall'):.2f}")  # fmt: skip
    for half, rest in (("odd", 1), ("even", 0)):
        ps = [p for p in ev.problems if int(p.pid[1:]) % 2 == rest]
        print(f"  {half} problems: member precision {sum(p.precision for p in ps) / len(ps):.2f}, "
              f"recall {sum(p.recall for p in ps) / len(ps):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
