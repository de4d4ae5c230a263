"""CTI intake in process: the CPU of `events.ingest` per event, without HTTP, server or client.

    .venv/bin/python bench/bench_cti_inprocess.py [--calls 1200] [--http] [--profile]

The same centre, agents and stream as bench_cti.py (PostgreSQL database `hotline_bench_cti_ip`),
sent in batches of 100 by this process: `cti.parse` and `events.ingest` called directly (or,
with `--http`, through Django's test client and the whole middleware stack, still in process).
The first 10 batches warm the connection and the prepared statements and are not counted.
Prints this process's CPU per new event and per duplicate (the stream sent again), and the CPU
of the database backend that served it (from /proc): the two parts of what bench_cti.py's
"CPU per event" measures, without the ASGI server and the broker, and far less moved by other
work on the machine. `--profile` adds a cProfile (CPU clock) of the new events' pass: what is
left to cut. The profiler slows Python code about 3×, unevenly: use its shares, not its times.
"""

import argparse
import cProfile
import json
import os
import pstats
import secrets
import time

import bench_cti
from common import fresh_database, setup_django

DATABASE = "hotline_bench_cti_ip"
BATCH = 100
WARM_BATCHES = 10


def backend_cpu(connection) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1200)
    ap.add_argument("--agents", type=int, default=300)
    ap.add_argument("--http", action="store_true", help="through Django's test client")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HOTLINE_DATA_KEY", f"bench:{secrets.token_hex(32)}")
    setup_django(fresh_database("postgres", DATABASE))
    from django.db import connection
    from django.test import Client

    from hotline.calls import cti, events
    from hotline.calls.models import Call, CallEvent, CallPlatform

    code, secret, seats = bench_cti.build(args.agents)
    platform = CallPlatform.objects.select_related("center").get(code=code)
    stream = bench_cti.stream(args.calls, seats)
    bodies = [
        json.dumps({"events": stream[i : i + BATCH]}).encode() for i in range(0, len(stream), BATCH)
    ]
    client = Client()

    def send(batch: list[bytes], tag: str) -> None:
        for n, body in enumerate(batch):
            if args.http:
                headers = bench_cti.sign(code, secret, body)
                response = client.post(
                    "/api/v1/cti/events", body, content_type="application/json", headers=headers
                )
                assert response.status_code == 200, response.content
                continue
            parsed, raw = cti.parse(body)
            signature = f"{tag}{n}"
            events.ingest(platform=platform, events=parsed, raw=raw, signature=signature)

    send(bodies[:WARM_BATCHES], "warm")
    counted = bodies[WARM_BATCHES:]
    n = sum(b.count(b'"event_id"') for b in counted)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    print(f"stream              {n:,} events of {args.calls:,} calls counted, batches of {BATCH}")
    for label, tag in (("new events", "a"), ("duplicates", "b")):
        cpu, db, wall = time.process_time(), backend_cpu(connection), time.perf_counter()
        if profiler and tag == "a":
            profiler.enable()
        send(counted, tag)
        if profiler and tag == "a":
            profiler.disable()
        cpu = time.process_time() - cpu
        db, wall = backend_cpu(connection) - db, time.perf_counter() - wall
        print(
            f"{label:<19} this process {cpu / n * 1000:.3f} ms + database {db / n * 1000:.3f} ms"
            f" = {(cpu + db) / n * 1000:.3f} ms CPU per event; wall {wall / n * 1000:.3f} ms"
        )
    stored = CallEvent.objects.filter(platform=platform).count()
    finished = Call.objects.filter(state="finished", outcome="answered").count()
    print(f"stored              {stored:,} events; {finished:,} calls finished and answered")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
