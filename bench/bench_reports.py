"""The monthly report of a province with N tickets: figures, sections, charts, Word, HTML.

    .venv/bin/python bench/bench_reports.py [--tickets 1000000] [--reuse] [--month 2026-10]
        [--region CODE] [--sqlite] [--parts]

PostgreSQL by default: the database `hotline_h_reports` (dropped and created again unless
--reuse, which keeps what an earlier run loaded). Loads the demo province and N synthetic
tickets registered over the past year with `hotline.tickets.bulk.load`, then makes the report
of the last complete month (or --month) for the whole province (or --region) twice — the
first run pays for imports, fonts and a cold cache; the second is the steady figure — and
prints where the time went: `service.build_figures` (the SQL figures in a thread beside the
hot topics, as the report runs them; --parts: the grouped statements and scorecards, hot
topics, warnings and typical cases one after the other), the charts, the Word and the HTML
files. Target: ≤ 30 s.
"""

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from common import PG_BASE, fresh_database, setup_django

NAME = "hotline_h_reports"


def prepare(args) -> None:
    url = (
        f"{PG_BASE}/{NAME}"
        if args.reuse and not args.sqlite
        else fresh_database(None if args.sqlite else "postgres", NAME)
    )
    setup_django(url)
    from django.db import connection

    from hotline.tickets import bulk, demo
    from hotline.tickets.models import Ticket

    if not Ticket.objects.exists():
        demo.build(tickets=0)
        started = time.perf_counter()
        bulk.load(args.tickets)
        print(f"loaded    {args.tickets:,} tickets in {time.perf_counter() - started:.0f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                c.execute("ANALYZE")


def timed(label, fn, *a, **kw):
    started = time.perf_counter()
    result = fn(*a, **kw)
    took = time.perf_counter() - started
    print(f"  {label:<28} {took:6.2f} s")
    return result, took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--month", default="")
    ap.add_argument("--region", default="")
    ap.add_argument("--parts", action="store_true",
                    help="time figures, hot topics, warnings, cases one after the other")  # fmt: skip
    args = ap.parse_args()
    prepare(args)

    from django.db import connection

    from hotline.catalog.calendar import to_local
    from hotline.reports import (
        charts,
        document,
        figures,
        findings,
        html,
        outline,
        periods,
        sections,
        service,
    )
    from hotline.reports.access import region_tickets
    from hotline.tickets.models import Ticket

    today = to_local(dt.datetime.now(dt.UTC)).date()
    month = args.month or f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"
    period = periods.parse("monthly", month)
    region = service.region_by_code(args.region)
    qs = region_tickets(region)
    start, end = period.bounds
    print(f"database  {connection.vendor}  load {os.getloadavg()[0]:.1f} "
          f"(2 CPUs shared with other sessions)")  # fmt: skip
    print(f"tickets   {Ticket.objects.count():,} in all; {region.name} {period.label}: "
          f"{qs.filter(created_at__gte=start, created_at__lt=end).count():,}")  # fmt: skip

    out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    for run in (1, 2):
        print(f"run {run}")
        total = time.perf_counter()
        if args.parts:
            f, _ = timed("grouped counts + scorecards", figures.compute, period, region)
            f.hot_topics, _ = timed("hot topics (analytics)", sections.hot_topics, qs, start, end)
            f.early_warnings, _ = timed("early warnings", sections.early_warnings, region, start,
                                        end)  # fmt: skip
            f.cases, _ = timed("typical cases", sections.typical_cases, qs, start, end)
            f.findings = findings.write(f)
        else:
            # What the report does: the SQL figures in a thread beside the hot topics.
            f, _ = timed("build_figures (concurrent)", service.build_figures, period, region)
        o = outline.build(f, f"{today.year}年{today.month}月{today.day}日")
        images, _ = timed("charts (matplotlib)", charts.all_charts, f)
        data, _ = timed("Word (python-docx)", document.render, o, images)
        page, _ = timed("HTML", html.render, o, images)
        (out / "report.docx").write_bytes(data)
        (out / "report.html").write_text(page)
        took = time.perf_counter() - total
        print(f"  {'total':<28} {took:6.2f} s   (target ≤ 30 s) — {len(data) / 1024:.0f} KiB docx, "
              f"volume {f.volume.now:,}, {len(f.ranking)} ranked of {f.ranked_units:,}")  # fmt: skip
    print(f"files     {out}")


if __name__ == "__main__":
    main()
