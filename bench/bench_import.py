"""Historical import: rows/s for the real files and for a large synthetic CSV.

    .venv/bin/python bench/bench_import.py [--sqlite] [--rows 50000] [--profile]

A fresh database (PostgreSQL `hotline_bench_import`, or a temporary SQLite file), the demo
province (no tickets), the category tree. The four real message files of HOTLINE_DATA_DIR
are each checked (dry run) and imported by the province center's administrator; then a
synthetic CSV of --rows rows (real messages repeated under new ids and dates) the same way,
and once more to time the idempotent re-run (every row found, nothing written). Prints rows/s
per phase and the counts that show every row went in once with a valid hash chain.
"""

import argparse
import cProfile
import csv
import os
import pstats
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from common import fresh_database, setup_django

FILES = ["messages_labeled.csv", "messages_unlabeled.csv", "messages_with_votes.csv", "replies.csv"]


def synthetic(path: Path, rows: int, data: Path) -> None:
    with open(data / "replies.csv", encoding="utf-8") as f:
        pool = list(csv.DictReader(f))
    rnd = random.Random(5)
    start = datetime(2018, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间"]
        )
        for n in range(rows):
            r = rnd.choice(pool)
            at = start + timedelta(minutes=rnd.randrange(0, 2 * 365 * 24 * 60))
            w.writerow([f"S{n}", r["user"], r["title"], f"{at:%Y-%m-%d %H:%M:%S}", r["content"],
                        r["reply"], f"{at + timedelta(days=rnd.randrange(1, 20)):%Y-%m-%d %H:%M:%S}"])  # fmt: skip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--rows", type=int, default=50000)
    ap.add_argument(
        "--profile", action="store_true", help="print the top of a profile of the big import"
    )
    args = ap.parse_args()
    url = fresh_database(None if args.sqlite else "postgres", "hotline_bench_import")
    setup_django(url)

    from django.conf import settings

    from hotline.catalog.services import load_categories
    from hotline.exchange import imports
    from hotline.exchange.models import OutboxMessage
    from hotline.orgs.models import Membership, Role, Unit, UnitKind, User
    from hotline.tickets import demo, history
    from hotline.tickets.models import Ticket, TicketEvent

    data = Path(os.environ.get("HOTLINE_DATA_DIR", settings.DATA_DIR))
    demo.build(tickets=0)
    load_categories()
    center = Unit.objects.get(kind=UnitKind.CENTER, region__parent__isnull=True)
    admin = User.objects.create(username="bench_import_admin")
    Membership.objects.create(user=admin, unit=center, role=Role.ADMIN)
    admin = User.objects.get(pk=admin.pk)
    print(f"database: {'SQLite' if args.sqlite else 'PostgreSQL'}; center {center.name}")

    def phase(label, path, source, dry):
        table = imports.read_table(path)
        opts = imports.Options(center=center, by=admin, source=source)
        t0 = time.perf_counter()
        report = imports.run(table, imports.suggest(table.headers), opts, dry_run=dry)
        took = time.perf_counter() - t0
        print(f"  {label:<34} {report.total:>7} rows {took:7.2f} s {report.total / took:>9,.0f} rows/s"
              f"  created {report.created} skipped {report.skipped} errors {report.error_count}")  # fmt: skip
        return report

    print("real files (dry run, then import):")
    real = 0
    for name in FILES:
        source = Path(name).stem[:24]
        phase(f"{name} dry run", data / name, source, True)
        real += phase(f"{name} import", data / name, source, False).created

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "synthetic.csv"
        synthetic(big, args.rows, data)
        print(f"synthetic CSV ({big.stat().st_size / 2**20:.0f} MiB):")
        phase("dry run", big, "synthetic", True)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        created = phase("import", big, "synthetic", False).created
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)
        phase("re-run (all rows already there)", big, "synthetic", False)

    bad = sum(1 for r in history.verify_all(Ticket.objects.all()) if not r.ok)
    print(f"tickets {Ticket.objects.count()} (real {real} + synthetic {created}), "
          f"events {TicketEvent.objects.count()}, outbox rows {OutboxMessage.objects.count()}, "
          f"broken chains {bad}")  # fmt: skip


if __name__ == "__main__":
    main()
