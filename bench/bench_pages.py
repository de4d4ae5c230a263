"""Workbench pages with many tickets loaded: server time per page (p50/p95/max).

    .venv/bin/python bench/bench_pages.py [--tickets 1000000] [--sqlite] [--reuse]

Loads the demo province and N tickets through the bulk path into a fresh PostgreSQL database
`hotline_bench_web` (--reuse keeps one that already holds them), then renders every queue and
the ticket page in-process with Django's test client (server time, no network) as the demo
users, and prints p50/p95/max per page.
"""

import argparse
import random
import time

from common import demo_database, percentile

PAGES = [
    ("intake (agent)", "fz_agent", "/intake/"),
    ("intake caller history", "fz_agent", "/intake/history/?citizen_phone={phone}"),
    ("dispatch, pending by urgency", "fz_dispatcher", "/dispatch/?tab=pending&sort=urgency"),
    ("dispatch, pending by deadline", "fz_dispatcher", "/dispatch/?tab=pending&sort=deadline"),
    ("dispatch, returns", "fz_dispatcher", "/dispatch/?tab=returns"),
    ("dispatch, extensions", "fz_dispatcher", "/dispatch/?tab=extensions"),
    ("dispatch, province center", "prov_dispatcher", "/dispatch/?tab=pending"),
    ("inbox, county unit, to acknowledge", "gl_housing_handler", "/inbox/?tab=ack"),
    ("inbox, county unit, overdue", "gl_housing_handler", "/inbox/?tab=overdue"),
    ("inbox, city unit, in progress", "fz_housing_handler", "/inbox/?tab=doing"),
    ("inbox, city unit, due soon", "fz_housing_handler", "/inbox/?tab=due_soon"),
    ("review queue", "fz_reviewer", "/review/"),
    ("callback queue", "fz_callback", "/callback/"),
    ("supervisor, overdue", "fz_supervisor", "/supervise/?tab=overdue"),
    ("supervisor, due soon", "fz_supervisor", "/supervise/?tab=due_soon"),
    ("supervisor, flagged", "fz_supervisor", "/supervise/?tab=flagged"),
    ("ticket page (dispatcher)", "fz_dispatcher", "/t/{number}/"),
    ("ticket page (unit handler)", "gl_housing_handler", "/t/{unit_number}/"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--repeat", type=int, default=40)
    args = ap.parse_args()
    total = demo_database(args, "hotline_bench_web")

    from django.db import connection
    from django.test import Client

    from hotline.orgs.models import User
    from hotline.tickets.models import Ticket

    print(f"database  {connection.vendor}, {total} tickets")

    rng = random.Random(1)
    fz = Ticket.objects.filter(center__code__startswith="3501").order_by("-id")
    numbers = list(fz.values_list("number", flat=True)[:500])
    phones = [p for p in fz.values_list("citizen_phone", flat=True)[:500] if p]
    unit = User.objects.get(username="gl_housing_handler").memberships.first().unit
    unit_numbers = (
        list(
            Ticket.objects.filter(assignments__unit=unit, assignments__is_active=True)
            .order_by("-id")
            .values_list("number", flat=True)[:500]
        )
        or numbers
    )

    clients = {}
    for label, username, path in PAGES:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        c = clients[username]
        times = []
        for i in range(args.repeat + 3):
            url = path.format(
                number=rng.choice(numbers),
                unit_number=rng.choice(unit_numbers),
                phone=rng.choice(phones) if phones else "13800000000",
            )
            t = time.perf_counter()
            r = c.get(url)
            el = (time.perf_counter() - t) * 1000
            assert r.status_code == 200, (url, r.status_code)
            if i >= 3:  # the first requests warm caches and connections
                times.append(el)
        print(
            f"{label:<36} p50 {percentile(times, 50):6.1f} ms  p95 {percentile(times, 95):6.1f} ms"
            f"  max {max(times):6.1f} ms"
        )


if __name__ == "__main__":
    main()
