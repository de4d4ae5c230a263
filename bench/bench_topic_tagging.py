"""Retroactive tagging of a new topic (专题存量回溯) over N tickets: seconds and tickets/s.

    .venv/bin/python bench/bench_topic_tagging.py --tickets 1000000
        [--database-url postgres://postgres@127.0.0.1:5432/postgres | --sqlite] [--keep]

Sets up a fresh database (PostgreSQL: `hotline_bench_topics`, dropped and created again;
--sqlite: a temporary file), builds the demo province, loads N synthetic tickets with the bulk
loader (as bench_bulk_load.py does), then defines a wage-arrears topic (欠薪: words) at the
province center and times the background task's work (`tagging.backfill`, batch by batch with
its progress saved). Prints the time, tickets/s and how many were tagged; a second topic with
words + a category + a region is timed too. The goal of issue 16: ≤ 60 s for 1,000,000.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "hotline_bench_topics"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def fresh_database(url: str | None):
    if url and url.startswith("postgres"):
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')

        def drop():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

        return urlunsplit(parts._replace(path=f"/{DB_NAME}")), drop
    folder = Path(tempfile.mkdtemp(prefix="hotline-bench-topics-"))
    os.environ["HOTLINE_VAR_DIR"] = str(folder)

    def remove():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()

    return f"sqlite:///{folder / (DB_NAME + '.sqlite3')}", remove


def wage_category(category_model) -> str:
    from hotline.tickets.synthetic import TEMPLATES

    code = next(t.category for t in TEMPLATES if "拖欠工资" in t.title)
    c = category_model.objects.get(code=code)
    while c.parent_id:
        c = c.parent
    return c.code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=200_000)
    ap.add_argument("--database-url", default=os.environ.get("HOTLINE_BENCH_PG"))
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    url, cleanup = fresh_database(None if args.sqlite else (args.database_url or DEFAULT_PG))
    os.environ["HOTLINE_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from hotline.catalog.models import Category
    from hotline.catalog.services import load_calendar, load_categories, load_default_policies
    from hotline.orgs.demo import build_demo_province
    from hotline.orgs.models import Membership, Role, Unit
    from hotline.tickets import bulk
    from hotline.topics import services, tagging
    from hotline.topics.models import Topic, TopicTicket

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        load_categories()
        load_default_policies()
        load_calendar()
        build_demo_province(password="bench-topics-12345")
        bulk.load(args.tickets, seed=7)
        print(f"date      {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ({platform.node()}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")  # fmt: skip
        print(f"database  {connection.vendor}  {url.split('@')[-1]}")
        print(f"setup     migrate + province + {args.tickets:,} tickets in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        center = Unit.objects.filter(kind="center", parent__isnull=True).first()
        supervisor = Membership.objects.filter(unit=center, role=Role.SUPERVISOR).first()
        if supervisor is None:
            from hotline.orgs.services import system_actor

            by = system_actor(center)
        else:
            by = supervisor.user
        cases = [
            ("欠薪（关键词）", {"keywords": ["拖欠工资", "农民工", "欠薪"]}),
            ("欠薪·福州·劳动（关键词+分类+区划）", {
                "keywords": ["拖欠工资", "农民工"],
                # the top category of the synthetic wage demands (人社 templates)
                "category_codes": [wage_category(Category)],
                "region_codes": ["350100"],
            }),
        ]  # fmt: skip
        for name, rule in cases:
            topic = services.create_topic(center=center, by=by, name=name, **rule)
            wall = time.perf_counter()
            tagged = tagging.backfill(Topic.objects.get(pk=topic.pk))
            took = time.perf_counter() - wall
            topic.refresh_from_db()
            assert topic.progress == 100 and topic.backfill_scanned == topic.backfill_total
            assert TopicTicket.objects.filter(topic=topic).count() == tagged
            print(f"{name}: {topic.backfill_scanned:,} scanned, {tagged:,} tagged in {took:.1f} s "
                  f"({topic.backfill_scanned / took:,.0f} tickets/s)")  # fmt: skip
    finally:
        if not args.keep:
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
