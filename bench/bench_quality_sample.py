"""Drawing a center's weekly quality sample (质量抽查): 300 agents, 200,000 tickets in the week.

    .venv/bin/python bench/bench_quality_sample.py [--agents 300] [--tickets 200000]
        [--per-agent 5] [--database-url postgres://postgres@127.0.0.1:5432 | --sqlite]

Sets up a fresh database (PostgreSQL `hotline_bench_quality`, dropped and made again, or a
temporary SQLite file), the demo province, `--agents` agents and two checkers at one city
center, and bulk-loads `--tickets` synthetic tickets registered in one week (the project's
bulk loader), spread over the agents. Then times `quality.sampling.draw` for that week and
prints the seconds, the sampled items and their reasons. The target is 5 s or less.
"""

import argparse
import datetime as dt
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import PG_BASE, fresh_database, setup_django  # noqa: E402

WEEK = dt.date(2026, 3, 2)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=300)
    ap.add_argument("--tickets", type=int, default=200_000)
    ap.add_argument("--per-agent", type=int, default=5)
    ap.add_argument("--database-url", default=os.environ.get("HOTLINE_BENCH_PG", PG_BASE))
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    setup_django(fresh_database(None if args.sqlite else args.database_url,
                                "hotline_bench_quality"))  # fmt: skip

    from django.db import connection

    from hotline.catalog.calendar import LOCAL_TZ
    from hotline.catalog.services import load_calendar, load_categories, load_default_policies
    from hotline.orgs.demo import build_demo_province
    from hotline.orgs.models import Membership, Role, Unit, User
    from hotline.quality import sampling, services
    from hotline.quality.models import Plan
    from hotline.tickets import bulk
    from hotline.tickets.models import Ticket

    started = time.perf_counter()
    load_categories()
    load_default_policies()
    load_calendar()
    build_demo_province(password="bench-quality-12345", towns=False)
    center = Unit.objects.filter(kind="center", level="city").order_by("code").first()
    agents = User.objects.bulk_create(
        [User(username=f"bench_agent_{i:03d}", full_name=f"话务员{i:03d}")
         for i in range(args.agents)]
    )  # fmt: skip
    Membership.objects.bulk_create(
        [Membership(user=u, unit=center, role=Role.AGENT) for u in agents]
    )
    for i in range(2):
        checker = User.objects.create(username=f"bench_checker_{i}")
        Membership.objects.create(user=checker, unit=center, role=Role.REVIEWER)
        services.appoint_checker(center=center, user=checker)
    services.ensure_rubric(center)
    Plan.objects.create(center=center, per_agent=args.per_agent)
    end = dt.datetime(WEEK.year, WEEK.month, WEEK.day, tzinfo=LOCAL_TZ) + dt.timedelta(days=7)
    bulk.load(args.tickets, days=7, now=end - dt.timedelta(seconds=1))
    ids = sorted(u.pk for u in agents)
    with connection.cursor() as cursor:
        # Spread the week's tickets over the agents (the loader knows only the demo accounts).
        cursor.execute("CREATE TEMP TABLE bench_agents (k integer, user_id bigint)")
        cursor.executemany("INSERT INTO bench_agents VALUES (%s, %s)", list(enumerate(ids)))
        cursor.execute(
            "UPDATE tickets_ticket SET registered_by_id = (SELECT user_id FROM bench_agents "
            f"WHERE k = tickets_ticket.id % {len(ids)})"
        )
        cursor.execute("ANALYZE")
    print(f"database  {connection.vendor}; set up in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    sample = sampling.draw(center=center, week=WEEK)
    seconds = time.perf_counter() - started
    week_tickets = Ticket.objects.filter(registered_by__in=ids).count()
    reasons = Counter(sample.items.values_list("reason", flat=True))
    print(f"tickets   {week_tickets:,} registered in the week by {sample.agents} agents")
    print(f"items     {sum(reasons.values()):,} ({dict(sorted(reasons.items()))})")
    print(f"draw      {seconds:.2f} s (target ≤ 5 s)")
    return 0 if seconds <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
