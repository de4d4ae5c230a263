"""List and detail through the API with many tickets loaded: server time per request.

    .venv/bin/python bench/bench_list_detail.py [--tickets 1000000] [--sqlite] [--reuse]

Loads the demo province and N tickets through the bulk path into a fresh database
(`hotline_bench_pages`; --reuse keeps one that already holds them), then times requests
in-process with Django's test client (server time, no network) for several users and
filters, and prints p50/p95/max per kind of request.
"""

import argparse
import random
import time

from common import demo_database, percentile

QUERIES = [
    ("list, province center", "prov_dispatcher", ""),
    ("list, city center", "fz_dispatcher", ""),
    ("list, city, status=in_progress", "fz_dispatcher", "status=in_progress"),
    ("list, city, overdue", "fz_dispatcher", "overdue=true"),
    ("list, city, region=鼓楼区", "fz_dispatcher", "region=350102"),
    ("list, city, text 电梯", "fz_dispatcher", "q=电梯&created_from=2026-11-01"),
    ("list, county unit handler", "gl_housing_handler", ""),
    ("list, unit, status=dispatched", "gl_housing_handler", "status=dispatched"),
    ("list, page 2 (cursor)", "fz_dispatcher", "cursor"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--database", default="hotline_bench_pages", help="PostgreSQL database name")
    ap.add_argument("--repeat", type=int, default=60)
    args = ap.parse_args()
    total = demo_database(args, args.database)

    from django.db import connection
    from django.test import Client

    from hotline.orgs.models import User

    print(f"database  {connection.vendor}, {total} tickets")

    clients = {}

    def client(username):
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        return clients[username]

    # The floor, in the same run: one signed-in API request that reads next to nothing (the
    # unread count), i.e. what the middleware, the session and the machine's load cost alone.
    floor = client("fz_dispatcher")
    times = []
    for i in range(args.repeat + 3):
        t = time.perf_counter()
        r = floor.get("/api/v1/notifications/unread-count")
        assert r.status_code == 200, r.content
        if i >= 3:
            times.append((time.perf_counter() - t) * 1000)
    print(f"{'floor: unread count (no tickets)':<34} p50 {percentile(times, 50):6.1f} ms  "
          f"p95 {percentile(times, 95):6.1f} ms  max {max(times):6.1f} ms")  # fmt: skip

    rng = random.Random(1)
    for label, username, query in QUERIES:
        c = client(username)
        if query == "cursor":
            first = c.get("/api/v1/tickets?limit=50").json()
            query = f"cursor={first['next_cursor']}"
        times, items = [], 0
        for i in range(args.repeat + 3):
            t = time.perf_counter()
            r = c.get(f"/api/v1/tickets?limit=50&{query}")
            el = time.perf_counter() - t
            assert r.status_code == 200, r.content
            items = len(r.json()["items"])
            if i >= 3:  # the first requests warm caches and connections
                times.append(el * 1000)
        print(
            f"{label:<34} p50 {percentile(times, 50):6.1f} ms  p95 {percentile(times, 95):6.1f} ms"
            f"  max {max(times):6.1f} ms  ({items} rows)"
        )

    from hotline.orgs.scope import visible_tickets

    for label, username in (
        ("detail, city center", "fz_dispatcher"),
        ("detail, province center", "prov_dispatcher"),
    ):
        c = client(username)
        # Tickets spread over the whole table, every one in this user's scope.
        ids = rng.sample(range(1, total), 4000)
        user = User.objects.get(username=username)
        numbers = list(visible_tickets(user).filter(pk__in=ids).values_list("number", flat=True))
        times = []
        for number in rng.sample(numbers, min(len(numbers), args.repeat)):
            t = time.perf_counter()
            r = c.get(f"/api/v1/tickets/{number}")
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.content
        print(
            f"{label:<34} p50 {percentile(times, 50):6.1f} ms  p95 {percentile(times, 95):6.1f} ms"
            f"  max {max(times):6.1f} ms"
        )


if __name__ == "__main__":
    main()
