"""Screening: lexicon throughput, reply-review precision/recall, duplicate lookup at 1,000,000.

    .venv/bin/python bench/bench_screening.py lexicon      # texts/s on one core
    .venv/bin/python bench/bench_screening.py replies      # P/R on tests/data/labels/replies.csv
    .venv/bin/python bench/bench_screening.py replies --labels replies_adjudicated.csv
    .venv/bin/python bench/bench_screening.py duplicates [--tickets 1000000] [--reuse]

`lexicon` screens the real messages of ../shared/data (or synthetic demands without it) in one
process. `replies` needs ../shared/data/replies.csv. `duplicates` fills the PostgreSQL database
`hotline_bench_screening` with the signatures and band keys of N synthetic demands spread over
90 days and ten cities (its foreign keys to tickets are dropped: only the two screening tables
are filled), then times `services.find_similar` for new demands: p50/p95/max.
"""

import argparse
import csv
import os
import random
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

from common import PG_BASE, fresh_database, percentile, setup_django

ROOT = Path(__file__).resolve().parent.parent
CITIES = ["350100", "350200", "350300", "350400", "350500", "350600", "350700", "350800",
          "350900", "350128"]  # fmt: skip
PLACES = ["鼓楼区", "台江区", "思明区", "湖里区", "城厢区", "梅列区", "鲤城区", "芗城区",
          "延平区", "新罗区", "蕉城区", "平潭"]  # fmt: skip


def _django_memory():
    os.environ.setdefault("HOTLINE_DATABASE_URL", "sqlite:///:memory:")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()


def _texts(n: int) -> tuple[list[tuple[str, str]], str]:
    from django.conf import settings

    rows = []
    for name in ("messages_unlabeled.csv", "messages_with_votes.csv", "messages_labeled.csv"):
        path = Path(settings.DATA_DIR) / name
        if path.exists():
            with path.open(encoding="utf-8") as f:
                rows += [(r["title"], r["content"]) for r in csv.DictReader(f)]
    if rows:
        return rows, "real messages (../shared/data)"
    return _synthetic(random.Random(7), n), "synthetic demands"


def _synthetic(rng, n):
    from hotline.tickets.synthetic import TEMPLATES, demand_text

    out = []
    for _ in range(n):
        title, content, _ = demand_text(rng, rng.choice(TEMPLATES), rng.choice(PLACES))
        out.append((title, content))
    return out


def bench_lexicon(args):
    _django_memory()
    from hotline.screening import duplicates
    from hotline.screening.lexicon import default_terms
    from hotline.screening.matcher import Matcher

    texts, source = _texts(10_000)
    m = Matcher(default_terms())
    for t in texts[:200]:  # warm the pinyin cache as a running worker has it
        m.screen(*t)
    chars = sum(len(a) + len(b) for a, b in texts)
    start = time.process_time()
    for _ in range(args.passes):
        for t in texts:
            m.screen(*t)
    cpu = time.process_time() - start
    n = len(texts) * args.passes
    start = time.process_time()
    for t in texts:
        sig = duplicates.signature(*t)
        if sig:
            duplicates.band_keys(sig, "350100")
    sig_cpu = time.process_time() - start
    print(f"source: {source}, {len(texts):,} texts, mean {chars / len(texts):.0f} characters")
    print(f"lexicon screening: {n / cpu:,.0f} texts/s on one core ({cpu / n * 1e6:.0f} µs each)")
    print(f"signature + band keys: {sig_cpu / len(texts) * 1e6:.0f} µs each")
    levels = {}
    for t in texts:
        lv = m.screen(*t).level
        levels[lv] = levels.get(lv, 0) + 1
    print("levels over the texts:", levels)


def bench_replies(args):
    """Recall and precision on the hand-labelled real replies, by split, beside two baselines."""
    _django_memory()
    from django.conf import settings

    from hotline.screening.lexicon import default_terms
    from hotline.screening.matcher import Matcher
    from hotline.screening.reply_model import assess
    from hotline.screening.reply_review import review

    path = Path(settings.DATA_DIR) / "replies.csv"
    if not path.exists():
        sys.exit(f"{path} is missing: the reply evaluation needs the shared data")
    with path.open(encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    with (ROOT / "tests" / "data" / "labels" / args.labels).open(encoding="utf-8") as f:
        labels = list(csv.DictReader(f))
    m = Matcher(default_terms())
    counts: dict[tuple[str, str], list[int]] = {}
    for label in labels:
        r = rows[label["id"]]
        # Runs of 10+ stars are the data set's anonymisation, not a handler's placeholder.
        body = re.sub(r"\*{10,}", "某", r["reply"])
        gold = label["verdict"] == "send_back"
        preds = {
            "rules (before)": review(body, title=r["title"], content=r["content"], matcher=m),
            "rules + scorer": assess(body, title=r["title"], content=r["content"], matcher=m),
        }
        flags = {k: v.verdict != "pass" for k, v in preds.items()}
        flags["shorter than 80"] = len(r["reply"]) < 80
        for name, pred in flags.items():
            c = counts.setdefault((label["split"], name), [0, 0, 0, 0])  # tp fp fn tn
            c[0 if pred and gold else 1 if pred else 2 if gold else 3] += 1
            if (
                args.errors
                and label["split"] == "test"
                and name == "rules + scorer"
                and pred != gold
            ):
                print(
                    f"  {'FP' if pred else 'FN'} {label['id']} {label['category']}: {label['reason']}"
                )
    for (split, name), (tp, fp, fn, tn) in sorted(counts.items()):
        p = tp / (tp + fp) if tp + fp else float("nan")
        r = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * p * r / (p + r) if p + r else float("nan")
        print(f"{split:>5} {name:<16} n={tp + fp + fn + tn} send-back={tp + fn} tp={tp} fp={fp} "
              f"fn={fn} precision={p:.3f} recall={r:.3f} F1={f1:.3f}")  # fmt: skip


def _fill(n: int):
    from django.db import connection
    from django.utils import timezone

    from hotline.screening import duplicates

    with connection.cursor() as cur:
        for table in ("screening_duplicateband", "screening_duplicatesignature"):
            cur.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype='f'",
                [table],
            )
            for (name,) in cur.fetchall():
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    rng = random.Random(11)
    now = timezone.now()
    start = time.perf_counter()
    texts = _synthetic(rng, 50_000)  # 50,000 distinct texts, reused with new details
    chunk = 100_000  # one COPY at a time per connection: signatures, then their band keys
    with connection.cursor() as c:
        pg = c.cursor
        for first in range(1, n + 1, chunk):
            sig_rows, band_rows = [], []
            for i in range(first, min(n, first + chunk - 1) + 1):
                title, content = texts[int(rng.random() * len(texts))]
                content += f"（{int(rng.random() * 1e6)}号）"
                sig = duplicates.signature(title, content)
                scope = CITIES[int(rng.random() * len(CITIES))]
                at = now - timedelta(seconds=rng.random() * 90 * 86400)
                sig_rows.append((i, sig.pack(), scope, at))
                band_rows += [(i, k, at) for k in duplicates.band_keys(sig, scope)]
            with pg.copy("COPY screening_duplicatesignature (ticket_id, signature, scope, "
                         "created_at) FROM STDIN") as copy:  # fmt: skip
                for row in sig_rows:
                    copy.write_row(row)
            with pg.copy("COPY screening_duplicateband (ticket_id, key, created_at) FROM STDIN") as copy:  # fmt: skip
                for row in band_rows:
                    copy.write_row(row)
            print(f"  {i:,} signatures, {time.perf_counter() - start:.0f} s", flush=True)
        c.execute("ANALYZE screening_duplicateband")
        c.execute("ANALYZE screening_duplicatesignature")


def bench_duplicates(args):
    url = f"{PG_BASE}/hotline_bench_screening"
    if not args.reuse:
        url = fresh_database("postgres", "hotline_bench_screening")
    setup_django(url)
    from django.db import connection
    from django.utils import timezone

    from hotline.screening import duplicates, services

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM screening_duplicatesignature")
        have = c.fetchone()[0]
    if have < args.tickets:
        _fill(args.tickets)
    with connection.cursor() as c:
        c.execute("SELECT count(*), (SELECT count(*) FROM screening_duplicateband) "
                  "FROM screening_duplicatesignature")  # fmt: skip
        sigs, bands = c.fetchone()
    print(f"database: {sigs:,} signatures, {bands:,} band keys")
    rng = random.Random(23)
    queries = _synthetic(rng, args.lookups)
    since = timezone.now() - timedelta(days=services.REPEAT_WINDOW_DAYS)
    times, found = [], 0
    for i, (title, content) in enumerate(queries):
        t0 = time.perf_counter()
        sig = duplicates.signature(title, content)
        keys = duplicates.band_keys(sig, CITIES[i % len(CITIES)])
        similar = services.find_similar(sig, keys, since=since)
        times.append((time.perf_counter() - t0) * 1000)
        found += bool(similar)
    times = times[10:]  # the first lookups warm the connection and caches
    print(f"lookups: {len(times)}, with a near-duplicate found: {found}")
    print(f"lookup ms p50 {percentile(times, 50):.2f} p95 {percentile(times, 95):.2f} "
          f"max {max(times):.2f}")  # fmt: skip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["lexicon", "replies", "duplicates"])
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=1000)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--errors", action="store_true", help="replies: list the test split's errors")
    ap.add_argument(
        "--labels",
        default="replies.csv",
        help="replies: the label file in tests/data/labels (the first reading, or the adjudicated "
        "one of docs/labelling-replies.md §7)",
    )
    args = ap.parse_args()
    {"lexicon": bench_lexicon, "replies": bench_replies, "duplicates": bench_duplicates}[args.what](
        args
    )


if __name__ == "__main__":
    main()
