"""The exchange under load: batch ingest from a sub-center, and webhook fan-out.

    .venv/bin/python bench/bench_exchange.py [--sqlite] [--tickets 20000] [--batch 1000]
                                             [--procs 1] [--served] [--texts real|synthetic]
                                             [--ingest-only] [--db hotline_bench_exchange]

PostgreSQL by default (a fresh database, `hotline_bench_exchange` unless `--db`). Ingest: signed batches
through the whole request path (Django test client: signature, JSON, `register_many` with
screening, events and outbox rows, one transaction per batch), from `--procs` client
processes at once (forked after set-up, each its own connection, the batches dealt out in
turn). Then the deferred part of screening: the `index_registered` tasks the batches queued
(duplicate index and repeat check), drained by django-tasks-db's worker in this process.
Fan-out: every outbox row of the ingest to one subscription on a local HTTP receiver
(http.server in a thread), by `delivery.run_once`. Prints tickets/s, the client CPU per
ticket, events/s and the counts that prove nothing was lost or doubled.
"""

import argparse
import csv
import http.client
import json
import multiprocessing
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import (
    backend_cpu_seconds,
    fresh_database,
    machine_cpu,
    process_cpu_seconds,
    serve,
    setup_django,
)

MESSAGES = ("messages_labeled.csv", "messages_unlabeled.csv", "messages_with_votes.csv")


def real_texts(data: Path) -> list[tuple[str, str]]:
    """(title, content) of every real message in `data`, within the exchange schema's limits."""
    rows = []
    for name in MESSAGES:
        if (data / name).is_file():
            with (data / name).open(encoding="utf-8") as f:
                rows += [(r["title"][:200], r["content"][:5000]) for r in csv.DictReader(f)]
    return [(t, c) for t, c in rows if t.strip() and c.strip()]


def receiver():
    got = {"events": 0, "posts": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got["events"] += len(json.loads(body)["events"])
            got["posts"] += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got


def _post_all(push, bodies):
    """(created, client CPU seconds, its database backend's CPU seconds or None)."""
    s0, c0 = backend_cpu_seconds(), time.process_time()
    created = sum(push(b)["created"] for b in bodies)
    c1, s1 = time.process_time(), backend_cpu_seconds()
    return created, c1 - c0, None if s0 is None or s1 is None else s1 - s0


def _client(push, bodies, out):
    from django.db import connections

    connections.close_all()  # the parent's connection must not be shared with the child
    out.put(_post_all(push, bodies))


def ingest_in_processes(push, bodies, procs):
    """Post `bodies` from `procs` forked processes; returns (created, their CPU seconds,
    their database backends' CPU seconds or None)."""
    if procs == 1:
        return _post_all(push, bodies)
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    children = [
        ctx.Process(target=_client, args=(push, bodies[i::procs], out)) for i in range(procs)
    ]
    for child in children:
        child.start()
    results = [out.get() for _ in children]
    for child in children:
        child.join()
        assert child.exitcode == 0, child.exitcode
    server = [r[2] for r in results]
    return (
        sum(r[0] for r in results),
        sum(r[1] for r in results),
        None if None in server else sum(server),
    )


def _post_http(port, sign, bodies, out, i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    created = 0
    for body in bodies:
        conn.request("POST", "/api/v1/exchange/tickets", body, sign(body))
        r = conn.getresponse()
        data = r.read()
        assert r.status == 200, data[:300]
        created += json.loads(data)["created"]
    conn.close()
    out[i] = created


def ingest_served(url, sign, bodies, warm, procs):
    """Post `bodies` over HTTP to gunicorn with `procs` workers from `procs` threads; returns
    (created, seconds, workers' CPU seconds, machine busy fraction)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    master = serve(url, port, procs)
    try:
        # Warm every worker (sync workers take one request at a time: concurrent warm-ups
        # land on different workers).
        threads = [threading.Thread(target=_post_http, args=(port, sign, [w], {}, 0)) for w in warm]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        workers = [int(p) for p in Path(f"/proc/{master.pid}/task/{master.pid}/children")
                   .read_text().split()]  # fmt: skip
        w0 = sum(process_cpu_seconds(p) or 0 for p in workers)
        m0 = machine_cpu()
        out = {}
        threads = [
            threading.Thread(target=_post_http, args=(port, sign, bodies[i::procs], out, i))
            for i in range(procs)
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - t0
        m1 = machine_cpu()
        w1 = sum(process_cpu_seconds(p) or 0 for p in workers)
        busy = (m1[0] - m0[0]) / max(1, m1[1] - m0[1])
        return sum(out.values()), seconds, w1 - w0, busy
    finally:
        master.terminate()
        master.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--tickets", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--procs", type=int, default=1, help="client processes posting at once")
    ap.add_argument("--ingest-only", action="store_true", help="skip deferred screening, fan-out")
    ap.add_argument("--served", action="store_true", help="over HTTP to gunicorn, --procs workers")
    ap.add_argument("--texts", choices=["real", "synthetic"], default=None)
    ap.add_argument("--db", default="hotline_bench_exchange", help="PostgreSQL database (dropped)")
    args = ap.parse_args()
    url = fresh_database(None if args.sqlite else "postgres", args.db)
    setup_django(url)

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from hotline.exchange import delivery, services, signing
    from hotline.exchange.models import Delivery, OutboxMessage, Subscription
    from hotline.orgs.models import Membership, Role, Unit, UnitKind, User
    from hotline.screening.models import DuplicateSignature, RepeatCase
    from hotline.tickets import demo
    from hotline.tickets.models import Ticket

    settings.ALLOWED_HOSTS = ["*"]
    settings.HOTLINE_EXCHANGE_SETTLE_SECONDS = 0  # nothing else writes during the bench
    demo.build(tickets=0)
    fz = Unit.objects.get(kind=UnitKind.CENTER, region__code="350100")
    unit = Unit.objects.create(
        code="bench_sub", name="压测分中心", kind=UnitKind.SUBCENTER, level=fz.level,
        region=fz.region, parent=fz, function="center",
    )  # fmt: skip
    bot = User.objects.create(username="bench_sub_bot")
    Membership.objects.create(user=bot, unit=unit, role=Role.DISPATCHER)
    system = services.connect_system(code="bench", name="压测", unit=unit, service_user=bot)
    client = Client()

    texts = real_texts(Path(settings.DATA_DIR)) if args.texts != "synthetic" else []
    if args.texts == "real" and not texts:
        raise SystemExit(f"no messages in {settings.DATA_DIR}")

    def text(n):
        if texts:
            return texts[n % len(texts)]
        return (
            f"夜间施工噪音扰民{n}",
            f"某小区旁工地第{n}次夜间施工，噪音严重影响休息，请尽快处理。",
        )

    def batch(start):
        items = [
            {
                "external_id": f"E{n}",
                "appeal_type": "complaint",
                "title": title,
                "content": content,
                "citizen_phone": f"138{n:08d}",
                "address": "某小区3号楼",
            }
            for n in range(start, min(start + args.batch, args.tickets))
            for title, content in [text(n)]
        ]
        return json.dumps({"tickets": items}, ensure_ascii=False).encode()

    def sign(body):
        return {
            **signing.headers(system.code, system.secret, body),
            "Content-Type": "application/json",
        }

    def push(body):
        head = signing.headers(system.code, system.secret, body)
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in head.items()}
        r = client.post("/api/v1/exchange/tickets", body, content_type="application/json", **extra)
        assert r.status_code == 200, r.content[:300]
        return r.json()

    bodies = [batch(s) for s in range(0, args.tickets, args.batch)]
    first = json.loads(bodies[0])["tickets"][0]
    # Warm each process (lexicon automaton, statement caches) with one ticket outside the
    # run, as a served worker is warm after its first request.
    warm = [
        json.dumps({"tickets": [{**first, "external_id": f"W{i}"}]}).encode()
        for i in range(args.procs if args.served else 1)
    ]
    load = os.getloadavg()[0]
    if args.served:
        created, ingest_s, workers_cpu, busy = ingest_served(url, sign, bodies, warm, args.procs)
    else:
        push(warm[0])
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        created, cpu, server_cpu = ingest_in_processes(push, bodies, args.procs)
        ingest_s = time.perf_counter() - t0
    if args.served:
        push(bodies[0])  # warm this process too (its first request), untimed
    t0 = time.perf_counter()
    again = [push(b) for b in bodies[:2]]
    retry_s = time.perf_counter() - t0
    retried = sum(len(b["items"]) for b in again)
    print(f"database: {url.split('/')[-1]} ({'SQLite' if args.sqlite else 'PostgreSQL'})")
    sample = json.loads(bodies[0])["tickets"]
    mean = sum(len(t["title"]) + len(t["content"]) for t in sample) / len(sample)
    print(
        f"texts: {'real messages' if texts else 'synthetic'}, title and content "
        f"{mean:.0f} characters on average; load {load:.1f} at start"
    )
    if args.served:
        print(
            f"ingest over HTTP: {created} tickets in {ingest_s:.1f} s = "
            f"{created / ingest_s:,.0f} tickets/s (batches of {args.batch}, gunicorn with "
            f"{args.procs} worker(s), {args.procs} client thread(s)); workers' CPU "
            f"{workers_cpu / created * 1000:.3f} ms/ticket; machine busy {busy:.0%} of "
            f"{os.cpu_count()} cores"
        )
    else:
        print(
            f"ingest: {created} tickets in {ingest_s:.1f} s = {created / ingest_s:,.0f} tickets/s"
            f" (batches of {args.batch}, {args.procs} client process(es)); client CPU "
            f"{cpu / created * 1000:.3f} ms/ticket; database backend CPU "
            + (f"{server_cpu / created * 1000:.3f}" if server_cpu is not None else "n/a")
            + " ms/ticket"
        )
    print(f"tickets in db {Ticket.objects.count()} (with {len(warm)} warm-up ticket(s))")
    print(
        f"retry of {retried} already-registered items: {retried / retry_s:,.0f} items/s, "
        f"created {sum(b['created'] for b in again)}"
    )
    if args.ingest_only:
        return
    queued = DBTaskResult.objects.filter(task_path__endswith="index_registered").count()
    t0 = time.perf_counter()
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    index_s = time.perf_counter() - t0
    indexed = DuplicateSignature.objects.count()
    print(
        f"deferred screening: {queued} index_registered tasks, {indexed} tickets indexed in "
        f"{index_s:.1f} s = {indexed / index_s:,.0f} tickets/s; repeat cases "
        f"{RepeatCase.objects.count()}; tasks not successful "
        f"{DBTaskResult.objects.exclude(status='SUCCESSFUL').count()}"
    )

    server, got = receiver()
    Subscription.objects.create(
        system=system, url=f"http://127.0.0.1:{server.server_port}/hook", secret="s"
    )
    events = OutboxMessage.objects.count()
    t0 = time.perf_counter()
    totals = delivery.run_once()
    fan_s = time.perf_counter() - t0
    print(
        f"fan-out: {got['events']} events in {got['posts']} POSTs in {fan_s:.1f} s = "
        f"{got['events'] / fan_s:,.0f} events/s; outbox {events}, queued {totals['queued']}, "
        f"delivered {totals['delivered']}, pending "
        f"{Delivery.objects.exclude(state='delivered').count()}"
    )
    server.shutdown()


if __name__ == "__main__":
    main()
