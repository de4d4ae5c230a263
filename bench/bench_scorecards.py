"""All scorecards of a province for a month over 10,000,000 tickets (PostgreSQL).

    .venv/bin/python bench/bench_scorecards.py [--tickets 10000000] [--fresh] [--repeat 3]

Uses the database `hotline_bench_10m`: built once (the demo province, then N synthetic tickets
over 365 days through `hotline.tickets.bulk.load`, ~8–10 minutes for 10 M on an idle machine)
and reused on later runs as long as it holds at least N tickets; `--fresh` rebuilds it. Then it
times:

* `facts.refresh()`: the first time it copies every ticket into TicketFact; then an
  incremental refresh after 200,000 ticket events (the watermark moved back by that much),

and for the busiest month:

* the same counts straight from the ticket table (what the scorecards did before TicketFact),
* `scorecards.compute` for every handling unit of the province (the figure with a target),
* one drill-down (the first 100 tickets behind the busiest unit's 响应率 denominator),
* the accountability list of the province (every handling unit).
"""

import argparse
import time

from common import PG_BASE, busiest_month, setup_django

NAME = "hotline_bench_10m"


def _database(fresh: bool) -> bool:
    """Make sure the database exists; True if it was (re)created empty."""
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [NAME]).fetchone()
        if exists and not fresh:
            return False
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{NAME}"')
    return True


def models_max_event() -> int:
    from hotline.tickets.models import TicketEvent

    return TicketEvent.objects.order_by("-id").values_list("id", flat=True).first()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=10_000_000)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--load-only", action="store_true")
    args = ap.parse_args()
    created = _database(args.fresh)
    setup_django(f"{PG_BASE}/{NAME}")

    from django.db import connection
    from django.db.models import Count

    from hotline.tickets import bulk, demo
    from hotline.tickets.models import Ticket

    if created or not Ticket.objects.exists():
        demo.build(tickets=0)
    have = Ticket.objects.count()
    if have < args.tickets:
        started = time.perf_counter()
        bulk.load(args.tickets - have)
        print(f"loaded {args.tickets - have:,} tickets in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE")
    if args.load_only:
        return

    from hotline.evaluation import accountability, drilldown, facts, figures, scorecards
    from hotline.evaluation.models import FactWatermark
    from hotline.orgs.models import Unit

    print(f"tickets {Ticket.objects.count():,}")
    started = time.perf_counter()
    n = facts.refresh()
    print(f"facts refresh: {n:,} rows in {time.perf_counter() - started:.1f} s")
    if n:
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE evaluation_ticketfact")
    FactWatermark.objects.update(last_event_id=models_max_event() - 200_000)
    started = time.perf_counter()
    n = facts.refresh()
    print(f"incremental facts refresh after 200,000 events: {n:,} rows in "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip

    period, dispatched = busiest_month()
    units = Unit.objects.exclude(kind__in=["center", "subcenter"]).filter(is_active=True)
    start, end = scorecards.period_bounds(period)
    ids = list(units.values_list("pk", flat=True))
    started = time.perf_counter()
    aggregates = {}
    for name, (num, den) in figures.conditions(end).items():
        aggregates[f"{name}_num"] = Count("pk", filter=num)
        aggregates[f"{name}_den"] = Count("pk", filter=den)
    list(
        Ticket.objects.filter(lead_unit_id__in=ids, dispatched_at__gte=start, dispatched_at__lt=end)
        .values("lead_unit_id")
        .annotate(**aggregates)
    )
    print(f"same counts from the ticket table: {time.perf_counter() - started:.2f} s")
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        cards = scorecards.compute(units, period)
        times.append(time.perf_counter() - started)
    print(f"scorecards {period}: {len(cards)} units, {dispatched:,} tickets dispatched; "
          f"runs {', '.join(f'{t:.2f}' for t in times)} s")  # fmt: skip

    busiest = max(cards, key=lambda c: c.counts["response"][1])
    started = time.perf_counter()
    page = drilldown.tickets(busiest.unit, period, "response", "denominator", limit=100)
    print(f"drill-down {busiest.unit.code} 响应率 denominator: {page.total:,} tickets, first "
          f"{len(page.rows)} in {time.perf_counter() - started:.2f} s")  # fmt: skip

    started = time.perf_counter()
    entries = accountability.entries(units, period)
    print(f"accountability {period}: {len(entries)} units named, "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
