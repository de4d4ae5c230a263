"""Each dashboard call (/api/v1/dashboard/…) over a province with N tickets.

    .venv/bin/python bench/bench_dashboard.py [--reuse] [--tickets 1000000] [--calls 30]

Uses the database of bench_reports.py (`hotline_h_reports`; --reuse keeps what is loaded,
otherwise it is made fresh with N synthetic tickets over the past year). Every call goes
through the whole request path in-process (Django test client: session auth, URL routing,
django-ninja, the grouped statements, JSON) as a province analyst and as a city analyst;
prints the first call with an empty cache (cold) and p50 / p95 / max of the next ones per
endpoint. Target: each call ≤ 300 ms.
"""

import argparse
import os
import time

from bench_reports import prepare
from common import percentile

PANELS = ["today", "top", "satisfaction", "warnings"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--calls", type=int, default=30)
    args = ap.parse_args()
    prepare(args)

    from django.db import connection
    from django.test import Client

    from hotline.orgs.models import Membership, Role, Unit, User
    from hotline.tickets.models import OPEN_STATUSES, Ticket

    def analyst(username, region_code):
        user, _ = User.objects.get_or_create(username=username)
        center = Unit.objects.get(code=f"{region_code}-center")
        Membership.objects.get_or_create(user=user, unit=center, role=Role.ANALYST)
        client = Client()
        client.force_login(user)
        return client

    print(f"database  {connection.vendor}  load {os.getloadavg()[0]:.1f} "
          f"(2 CPUs shared with other sessions)")  # fmt: skip
    print(f"tickets   {Ticket.objects.count():,}, open "
          f"{Ticket.objects.filter(status__in=OPEN_STATUSES).count():,}")  # fmt: skip
    for label, client, region in (
        ("province 350000", analyst("bench_prov_analyst", "350000"), "350000"),
        ("city 350100", analyst("bench_fz_analyst", "350100"), "350100"),
    ):
        print(label)
        for panel in PANELS:
            url = f"/api/v1/dashboard/{panel}?region={region}"
            from django.core.cache import cache

            cache.clear()  # the first call finds nothing kept: the cold case
            started = time.perf_counter()
            first = client.get(url)
            cold = (time.perf_counter() - started) * 1000
            assert first.status_code == 200, first.content
            times = []
            for _ in range(args.calls):
                started = time.perf_counter()
                r = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200
            summary = _summary(panel, first.json())
            print(f"  {panel:<13} cold {cold:6.1f} ms  p50 {percentile(times, 50):6.1f} ms  p95 "
                  f"{percentile(times, 95):6.1f} ms  max {max(times):6.1f} ms   {summary}")  # fmt: skip


def _summary(panel, d) -> str:
    if panel == "today":
        return f"today {d['total']:,}, open {d['open']:,}, overdue {d['overdue']:,}"
    if panel == "top":
        return f"{len(d['categories'])} categories, {len(d['regions'])} regions"
    if panel == "satisfaction":
        return f"{sum(x['rated'] for x in d['days']):,} rated in 30 days"
    return f"{len(d['alerts'])} alerts, {len(d['early'])} early warnings"


if __name__ == "__main__":
    main()
