"""Deadline sweep over N tickets and the scorecards of a province-month.

    .venv/bin/python bench/bench_supervision.py [--tickets 200000] [--reuse] [--sqlite]

PostgreSQL by default (a fresh database `hotline_bench_supervision`; `--reuse` keeps the loaded
one). Loads the demo province and N synthetic tickets with `hotline.tickets.bulk.load`, then
times: the first sweep (every open ticket past a threshold warned: the catch-up case), a
second sweep (nothing new: the steady state every minute), and `scorecards.compute` for every
handling unit of the province over the busiest month.
"""

import argparse
import time

from common import PG_BASE, busiest_month, fresh_database, setup_django

NAME = "hotline_bench_supervision"
OPEN_SQL = """
WITH chosen AS (
    SELECT id FROM tickets_ticket WHERE lead_unit_id IS NOT NULL ORDER BY id LIMIT %s
)
UPDATE tickets_ticket t SET
    status = CASE WHEN t.id %% 4 = 0 THEN 'dispatched' ELSE 'in_progress' END,
    dispatched_at = now() - interval '10 days' + (t.id %% 480) * interval '1 hour' / 24,
    ack_deadline = now() + ((t.id %% 480) - 240) * interval '1 hour' / 24,
    acknowledged_at = CASE WHEN t.id %% 4 = 0 THEN NULL ELSE now() - interval '9 days' END,
    handle_deadline = now() + ((t.id %% 480) - 240) * interval '1 hour',
    replied_at = NULL, closed_at = NULL
FROM chosen WHERE t.id = chosen.id
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=200_000)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--open", type=int, default=0, help="make this many tickets open (PG)")
    args = ap.parse_args()
    url = (
        f"{PG_BASE}/{NAME}"
        if args.reuse
        else fresh_database(None if args.sqlite else "postgres", NAME)
    )
    setup_django(url)

    from django.db import connection

    from hotline.evaluation import scorecards
    from hotline.orgs.models import Unit
    from hotline.supervision.models import Notification, Warning
    from hotline.supervision.sweep import sweep_deadlines
    from hotline.tickets import bulk, demo
    from hotline.tickets.models import OPEN_STATUSES, Ticket

    if not args.reuse:
        demo.build(tickets=0)
        started = time.perf_counter()
        bulk.load(args.tickets)
        print(f"loaded {args.tickets:,} tickets in {time.perf_counter() - started:.0f} s")
    else:
        Warning.objects.all().delete()
        Notification.objects.all().delete()
    if args.open and connection.vendor == "postgresql":
        # The synthetic history is mostly closed; for the sweep's worst case, turn tickets
        # into open ones whose deadlines spread over ±10 days around now (a quarter awaiting
        # acknowledgement). Bench data only: the product changes tickets through lifecycle.
        with connection.cursor() as c:
            c.execute(OPEN_SQL, [args.open])
            print(f"opened {c.rowcount:,} tickets")
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    total = Ticket.objects.count()
    open_ = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    print(f"tickets {total:,}, open {open_:,}")

    for label in ("first sweep (catch-up)", "second sweep (steady)"):
        started = time.perf_counter()
        r = sweep_deadlines()
        took = time.perf_counter() - started
        print(f"{label}: {took:.2f} s — yellow {r.yellow:,}, red {r.red:,}, "
              f"notifications {r.notifications:,}")  # fmt: skip

    period, dispatched = busiest_month()
    units = Unit.objects.exclude(kind__in=["center", "subcenter"]).filter(is_active=True)
    for _ in range(2):  # the second run with a warm cache is the one to quote
        started = time.perf_counter()
        cards = scorecards.compute(units, period)
        took = time.perf_counter() - started
    print(f"scorecards {period}: {len(cards)} units, {dispatched:,} tickets dispatched, "
          f"{took:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
