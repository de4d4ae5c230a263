"""CTI event intake on PostgreSQL against a real server (`hotline serve`).

    .venv/bin/python bench/bench_cti.py [--calls 6000] [--senders 4] [--batch 100] [--workers 2]

A center with `--agents` agents signed in and ready, each at a seat; a stream of `--calls`
inbound calls of six events each (offered, ringing, answered, held, resumed, ended), as a
platform reports a peak of 100 calls a second. The events are sent in time order, in batches
of `--batch` as a platform sends them (docs/calls.md: the Kamailio example sends up to 100
every 100 ms), each batch signed, by `--senders` connections at once, as fast as the server
takes them. Prints events/s sustained, the per-request latency percentiles, the errors, and
the CPU the server's processes and the database's backends used (from /proc) per event: on a
machine shared with other work the events/s say how loaded it was, the CPU per event what the
intake costs (1 / that = events/s per core).

With `--rate N` the batches leave on a clock instead, N events a second whatever the server
does (as a platform sends them: it does not wait for the last batch before sending the next),
and a request's latency counts from the moment its batch was due, so a server that falls
behind shows it as growing latency. The default (as fast as possible, `--senders` requests
in flight) measures the most the server takes; its latency is then mostly queueing — each
request waits for the `--senders` − 1 others ahead of it (p50 ≈ senders × batch ÷ events/s,
Little's law) — and says nothing of the latency at the goal's rate; `--rate 2000` does.

Then the same stream is sent again (each batch re-signed with a new timestamp, as a platform
retrying would), and the database is counted: every event stored once (0 lost, 0 doubled),
every call once, and the second pass accepted nothing new.

`--diagnose` says what the slow requests (over `--slow` ms) waited on: the server's processes
load cti_diagnose/sitecustomize.py, which times each request's steps (ASGI call, request
started, authenticate, database connection, ingest), GC pauses, event loop lag and pool waits,
and writes every thread's and task's stack once a request is served for over a second; the
bench's own database logs its lock waits and statements over 100 ms (PostgreSQL's log).
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import subprocess
import tempfile
import time

import httpx
from common import (
    fresh_database,
    hotline_served,
    machine_cpu,
    percentile,
    process_cpu_seconds,
    setup_django,
)

PEAK_CALLS_PER_SECOND = 100
DATABASE = "hotline_bench_cti"


def build(agents: int):
    from hotline.calls import agents as agent_states
    from hotline.calls import services
    from hotline.calls.models import CallQueue, Seat
    from hotline.orgs.models import Membership, Region, Role, Unit, User

    region = Region.objects.create(code="350000", name="福建省", level="province")
    center = Unit.objects.create(
        code="prov", name="福建省12345热线中心", kind="center", level="province", region=region
    )
    platform, secret = services.create_platform(code="bench", name="压测平台", center=center)
    CallQueue.objects.create(code="general", name="综合", center=center)
    users = User.objects.bulk_create(
        User(username=f"agent{n:04d}", full_name=f"话务员{n:04d}") for n in range(agents)
    )
    Membership.objects.bulk_create(Membership(user=u, unit=center, role=Role.AGENT) for u in users)
    seats = Seat.objects.bulk_create(
        Seat(code=f"{8000 + n}", center=center, extension=f"{8000 + n}") for n in range(agents)
    )
    for user, seat in zip(users, seats, strict=True):
        agent_states.sign_in(user=user, seat=seat)
        agent_states.set_state(user=user, state="ready")
    return platform.code, secret, [s.code for s in seats]


def stream(calls: int, seats: list[str]) -> list[dict]:
    """The events of `calls` calls, 100 new calls a second, in the order they happen."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=calls / PEAK_CALLS_PER_SECOND + 600)
    events = []
    for n in range(calls):
        cid = f"bench-{n}"
        t0 = start + dt.timedelta(seconds=n / PEAK_CALLS_PER_SECOND)
        seat = seats[n % len(seats)]

        def ev(k, type_, seconds, cid=cid, t0=t0, **more):
            at = (t0 + dt.timedelta(seconds=seconds)).isoformat()
            return {"event_id": f"{cid}:{k}", "call_id": cid, "type": type_, "at": at, **more}

        events += [
            ev(1, "offered", 0, caller=f"1380{n:07d}", called="12345", queue="general"),
            ev(2, "ringing", 6, agent=seat),
            ev(3, "answered", 9, agent=seat),
            ev(4, "held", 40),
            ev(5, "resumed", 50),
            ev(6, "ended", 70, cause="citizen_hangup"),
        ]
    events.sort(key=lambda e: e["at"])
    return events


def sign(code: str, secret: str, body: bytes) -> dict:
    from hotline.exchange import signing

    head = signing.headers(code, secret, body)
    head["X-Hotline-Platform"] = head.pop(signing.SYSTEM_HEADER)
    head["Content-Type"] = "application/json"
    return head


async def send(base, code, secret, bodies: list[bytes], senders: int, rate: float = 0, trace=None):
    """Send every body (signed at the moment it leaves): over `senders` connections as fast
    as the server answers, or, with `rate` (events/s), each batch when it is due. `trace`
    (a list) gets (wall time due, ms, first event id) of every request answered."""
    latencies, statuses, totals = [], {}, {"accepted": 0, "duplicates": 0, "errors": 0}
    wall = time.time() - time.perf_counter()  # perf_counter -> wall clock, for --diagnose

    async def post(client, body, due):
        headers = sign(code, secret, body)
        try:
            response = await client.post("/api/v1/cti/events", content=body, headers=headers)
        except httpx.HTTPError as exc:
            # Counted, not fatal: an overloaded server dropping connections is a result.
            name = type(exc).__name__
            statuses[name] = statuses.get(name, 0) + 1
            return
        latencies.append((time.perf_counter() - due) * 1000)
        if trace is not None:
            first = json.loads(body)["events"][0]["event_id"]
            trace.append((wall + due, latencies[-1], first))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 200:
            data = response.json()
            totals["accepted"] += data["accepted"]
            totals["duplicates"] += data["duplicates"]
            totals["errors"] += len(data["errors"])

    async def sender(client, queue):
        while queue:
            await post(client, queue.pop(), time.perf_counter())

    async def clocked(client, started):
        tasks = []
        sent = 0
        for body in bodies:
            due = started + sent / rate
            sent += body.count(b'"event_id"')
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(post(client, body, due)))
        await asyncio.gather(*tasks)

    # On the clock, a batch never waits for a free connection of the client's own.
    connections = 64 if rate else senders
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        if rate:
            await clocked(client, started)
        else:
            queue = list(reversed(bodies))
            await asyncio.gather(*(sender(client, queue) for _ in range(senders)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, statuses, totals


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        found = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True
        ).stdout.split()
        out += [int(p) for p in found]
        todo += [int(p) for p in found]
    return out


def settle(server_pid: int, quiet: float = 0.05, timeout: float = 120) -> None:
    """Wait until the server's processes have booted: their CPU still for half a second."""
    tree = [server_pid, *_descendants(server_pid)]
    last, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        used = sum(process_cpu_seconds(p) or 0 for p in tree)
        if last is not None and used - last < quiet:
            return
        last = used
        time.sleep(0.5)


def cpu_seconds(server_pid: int, database: str) -> tuple[float, float]:
    """CPU seconds spent so far by the server's processes and by the database's backends (the
    pool keeps them for the whole run), from /proc: what the events cost, whatever else the
    machine is doing."""
    from django.db import connection

    server = sum(process_cpu_seconds(p) or 0 for p in [server_pid, *_descendants(server_pid)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        pids = [row[0] for row in cursor.fetchall()]
    return server, sum(process_cpu_seconds(p) or 0 for p in pids)


def call_updates() -> tuple[int, int]:
    """Updates of calls_call so far, and how many of them were HOT (no index entry written):
    what an event costs the database is mostly this update and the indexes it writes. A
    backend reports its counts a second or so after it goes idle: wait for them."""
    from django.db import connection

    time.sleep(2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'calls_call'"
        )
        return cursor.fetchone()


def report(label, n_events, result, cpu, used):
    elapsed, latencies, statuses, totals = result
    print(f"{label}")
    print(f"  events            {n_events:,} in {len(latencies):,} requests, {elapsed:.1f} s")
    print(f"  events/s          {n_events / elapsed:,.0f}")
    print(
        f"  request p50/p95/p99/max  {percentile(latencies, 50):.0f} / "
        f"{percentile(latencies, 95):.0f} / {percentile(latencies, 99):.0f} / "
        f"{max(latencies):.0f} ms"
    )
    print(f"  responses         {dict(sorted(statuses.items(), key=str))}")
    print(
        f"  accepted {totals['accepted']:,}, duplicates {totals['duplicates']:,}, "
        f"event errors {totals['errors']:,}"
    )
    print(f"  machine busy      {cpu:.0%} of 2 cores (server, database, this client, others)")
    server, database = used
    per_event = (server + database) / n_events * 1000
    print(
        f"  CPU used          server {server:.1f} s + database {database:.1f} s = "
        f"{per_event:.2f} ms per event → {1000 / per_event:,.0f} events/s per core"
    )


def diagnose_setup(url: str) -> str:
    """For --diagnose: the server's processes load cti_diagnose/sitecustomize.py (their facts
    go to a temporary folder), the bench database logs its lock waits over 100 ms and its
    statements over 100 ms (a database of this bench's own: the server's settings stay as
    they are), and this process logs its own GC pauses. Returns the folder."""
    import gc

    import psycopg

    folder = tempfile.mkdtemp(prefix="hotline-bench-cti-diag-")
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cti_diagnose")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    os.environ["HOTLINE_BENCH_DIAG"] = folder
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        for setting in ("log_lock_waits = on", "deadlock_timeout = '100ms'",
                        "log_min_duration_statement = 100"):  # fmt: skip
            conn.execute(f'ALTER DATABASE "{DATABASE}" SET {setting}')
    gc_started = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif time.perf_counter() - gc_started[0] > 0.005:
            with open(os.path.join(folder, "client.jsonl"), "a") as out:
                fact = {"pid": "client", "kind": "gc", "at": time.time(),
                        "s": time.perf_counter() - gc_started[0], "gen": info["generation"]}  # fmt: skip
                out.write(json.dumps(fact) + "\n")

    gc.callbacks.append(on_gc)
    return folder


def diagnose_report(folder, trace, started, ended, slow_ms, pg_log) -> None:
    """The slow requests of a pass, each with the server's time for it, and every GC pause,
    loop lag, pool wait and PostgreSQL log line (lock waits, slow statements, checkpoints,
    deadlocks) in the pass's time."""
    facts = []
    for name in os.listdir(folder):
        with open(os.path.join(folder, name)) as f:
            facts += [json.loads(line) for line in f if line.strip()]
    facts = [f for f in facts if started - 1 <= f["at"] <= ended + 1]
    by_first = {f["first"]: f for f in facts if f["kind"] == "ingest"}
    marks = {
        f["marks"]["first"]: f["marks"]
        for f in facts
        if f["kind"] == "req" and "first" in f.get("marks", {})
    }
    slow = [t for t in trace if t[1] > slow_ms]
    print(f"  diagnose: {len(slow)} requests over {slow_ms:.0f} ms (at s into the pass)")
    for due, ms, first in sorted(slow):
        f = by_first.get(first, {})
        server = (
            f"ingest {f['s'] * 1000:.0f} ms wall, {f['cpu'] * 1000:.0f} ms CPU, pid {f['pid']},"
            f" began {f['at'] - due:+.3f} s after due"
            if f
            else "not seen by the server"
        )
        print(f"    {due - started:7.3f}  {ms:6.0f} ms  {first:<14}  {server}")
        if first in marks:
            # Seconds from the ASGI call to each step of the request.
            steps = {k: v for k, v in marks[first].items() if k != "first"}
            print(f"             steps {json.dumps(steps)}")
    for f in sorted(facts, key=lambda f: f["at"]):
        if f["kind"] in ("gc", "lag", "conn") and f["s"] > 0.02:
            more = f" gen {f['gen']}" if f["kind"] == "gc" else ""
            print(f"    {f['at'] - started:7.3f}  {f['kind']}{more} {f['s'] * 1000:.0f} ms, "
                  f"pid {f['pid']}")  # fmt: skip
    stacks = [f for f in facts if f["kind"] == "stack"]
    if stacks:
        print(f"    {len(stacks)} stack dumps of requests served > 1 s: {folder}/<pid>.jsonl")
    words = ("waiting", "acquired", "deadlock", "duration:", "checkpoint", "ERROR", "DETAIL")
    try:
        with open(pg_log, errors="replace") as f:
            for line in f:
                stamp = line[:23]
                try:
                    at = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")
                except ValueError:
                    continue
                at = at.replace(tzinfo=dt.UTC).timestamp()
                if started - 1 <= at <= ended + 1 and any(w in line for w in words):
                    print(f"    {at - started:7.3f}  pg: {line.strip()[24:][:300]}")
    except OSError as exc:
        print(f"    (PostgreSQL log not read: {exc})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=6000)
    ap.add_argument("--agents", type=int, default=300)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8791)
    ap.add_argument("--rate", type=float, default=0, help="events/s on a clock (0: flat out)")
    ap.add_argument(
        "--diagnose",
        action="store_true",
        help="say what each slow request (> --slow ms) waited on: server time, GC pauses, "
        "event loop lag, pool waits, PostgreSQL lock waits, slow statements and checkpoints",
    )
    ap.add_argument("--slow", type=float, default=100, help="ms (with --diagnose)")
    ap.add_argument("--pg-log", default="/var/log/postgresql/postgresql-15-main.log")
    args = ap.parse_args()
    # The server refuses the development key of citizens' data (hotline/crypto.py): a key of
    # this run's own, shared by this process and the server it starts.
    os.environ.setdefault("HOTLINE_DATA_KEY", f"bench:{secrets.token_hex(32)}")
    url = fresh_database("postgres", DATABASE)
    diag = diagnose_setup(url) if args.diagnose else None
    setup_django(url)
    code, secret, seats = build(args.agents)
    events = stream(args.calls, seats)
    bodies = [
        json.dumps({"events": events[i : i + args.batch]}).encode()
        for i in range(0, len(events), args.batch)
    ]
    served = hotline_served(url, args.port, args.workers, secrets.token_urlsafe(40))
    with served as (base, proc):
        # The server answers once one worker is up; the others may still be booting (each
        # loads the URLconf before it accepts): a pass begun now would find fewer workers.
        settle(proc.pid)
        # Warm every worker (imports, plans, connections) with a few calls of their own.
        warm = stream(50, seats)
        for e in warm:
            e["call_id"] = "warm-" + e["call_id"]
            e["event_id"] = "warm-" + e["event_id"]
        warm_bodies = [
            json.dumps({"events": warm[i : i + args.batch]}).encode()
            for i in range(0, len(warm), args.batch)
        ]
        asyncio.run(send(base, code, secret, warm_bodies, args.senders))
        results = []
        for label in ("first pass", "second pass (the same stream, re-signed)"):
            updates0 = call_updates()
            before, used0 = machine_cpu(), cpu_seconds(proc.pid, DATABASE)
            trace = [] if diag else None
            started = time.time()
            result = asyncio.run(
                send(base, code, secret, bodies, args.senders, args.rate, trace=trace)
            )
            after, used1 = machine_cpu(), cpu_seconds(proc.pid, DATABASE)
            cpu = (after[0] - before[0]) / max(1, after[1] - before[1])
            results.append(result)
            used = (used1[0] - used0[0], used1[1] - used0[1])
            report(label, len(events), result, cpu, used)
            upd, hot = (b - a for a, b in zip(updates0, call_updates(), strict=True))
            print(f"  calls_call        {upd:,} updates, {hot:,} HOT ({hot / max(1, upd):.0%})")
            if diag:
                diagnose_report(diag, trace, started, time.time(), args.slow, args.pg_log)

    from hotline.calls.models import Call, CallEvent

    stored = CallEvent.objects.filter(platform_call_id__startswith="bench-").count()
    calls = Call.objects.filter(platform_call_id__startswith="bench-").count()
    finished = Call.objects.filter(
        platform_call_id__startswith="bench-", state="finished", outcome="answered"
    ).count()
    print(
        f"server              hotline serve, {args.workers} uvicorn workers, Redis broker, "
        f"PostgreSQL; batches of {args.batch}, "
        + (f"{args.rate:,.0f} events/s on a clock" if args.rate else f"{args.senders} senders")
    )
    print(f"events sent         {len(events):,} × 2; stored {stored:,}")
    print(f"lost / doubled      {len(events) - stored if stored <= len(events) else 0} / "
          f"{max(0, stored - len(events))}")  # fmt: skip
    print(f"calls               {calls:,} of {args.calls:,}; finished and answered {finished:,}")
    print(f"second pass         accepted {results[1][3]['accepted']} new events")


if __name__ == "__main__":
    main()
