"""Shared set-up for the benchmarks: a fresh database, the province, a served app, and many
open live streams (agents' desktops)."""

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BASE = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def fresh_database(url: str | None, name: str) -> str:
    """A new empty database: PostgreSQL `name` (dropped first) or a temporary SQLite file."""
    if url and url.startswith("postgres"):
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{PG_BASE}/{name}"
    path = Path(tempfile.mkdtemp(prefix="hotline-bench-")) / f"{name}.sqlite3"
    return f"sqlite:///{path}"


def setup_django(url: str) -> None:
    os.environ["HOTLINE_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def demo_database(args, name: str) -> int:
    """Django set up on the demo province with at least `args.tickets` tickets; their count.

    `--reuse` keeps the PostgreSQL database `name` of an earlier run and only tops it up.
    """
    if args.reuse and not args.sqlite:
        url = f"{PG_BASE}/{name}"
    else:
        url = fresh_database(None if args.sqlite else "postgres", name)
    setup_django(url)
    from django.db import connection

    from hotline.tickets import demo
    from hotline.tickets.models import Ticket

    have = Ticket.objects.count()
    if have < args.tickets:
        started = time.perf_counter()
        demo.build(tickets=args.tickets - have)
        print(f"loaded {args.tickets - have} tickets in {time.perf_counter() - started:.0f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                c.execute("VACUUM ANALYZE")
    return Ticket.objects.count()


def serve(url: str, port: int, workers: int, extra: list[str] | None = None):
    """Start gunicorn on `port` against `url`; returns the process once it answers."""
    # The benchmarks measure throughput, not the API rate limits: those are off unless set.
    env = {
        "HOTLINE_API_RATE_PER_TOKEN": "off",
        "HOTLINE_API_RATE_PER_ADDRESS": "off",
        **os.environ,
        "HOTLINE_DATABASE_URL": url,
    }
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "hotline.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            *(extra or []),
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def live_database(name: str) -> tuple[str, str]:
    """A fresh PostgreSQL database `name` with Django set up on it, for a served app; returns
    (its URL, the secret key the server must share to accept the sessions made here)."""
    # The server refuses the development key of citizens' data (hotline/crypto.py): a key of
    # this run's own, shared by this process and the server it starts.
    os.environ.setdefault("HOTLINE_DATA_KEY", f"bench:{secrets.token_hex(32)}")
    secret_key = secrets.token_urlsafe(48)
    os.environ["HOTLINE_SECRET_KEY"] = secret_key
    url = fresh_database(PG_BASE, name)
    setup_django(url)
    return url, secret_key


@contextlib.contextmanager
def hotline_served(url: str, port: int, workers: int, secret_key: str):
    """`hotline serve` as deployed (gunicorn, uvicorn workers, the Redis broker on a channel of
    its own) against `url`; yields its base URL and its master process once it answers, stops
    it afterwards."""
    var = tempfile.mkdtemp(prefix="hotline-bench-var-")
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_REALTIME_URL": REDIS_URL,
        "HOTLINE_REALTIME_CHANNEL": f"hotline-bench:{uuid.uuid4().hex}",
        "HOTLINE_SECRET_KEY": secret_key,
        "HOTLINE_VAR_DIR": var,
        "HOTLINE_API_RATE_PER_TOKEN": "off",
        "HOTLINE_API_RATE_PER_ADDRESS": "off",
        "HOTLINE_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [str(BIN / "hotline"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5)
                break
            except OSError:
                time.sleep(0.25)
        else:
            raise RuntimeError("hotline serve did not start")
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(var, ignore_errors=True)


def login_session(user) -> str:
    """A session key that logs `user` in on the served app (it shares this process's secret
    key), made without a password round trip."""
    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[-1]
    session.create()
    return session.session_key


async def listen(client, cookie: str, params, ready: asyncio.Semaphore, on_data) -> None:
    """Hold one /realtime/stream/ open as a browser's EventSource does; `ready` is released once
    the preamble arrived (the subscription is registered), `on_data(message)` runs for every
    event's parsed data line."""
    headers = {"Cookie": cookie, "Accept": "text/event-stream"}
    async with client.stream(
        "GET", "/realtime/stream/", params=params, headers=headers
    ) as response:
        response.raise_for_status()
        first = True
        async for line in response.aiter_lines():
            if first:
                first = False
                ready.release()
            if line.startswith("data:"):
                on_data(json.loads(line[5:]))


async def open_streams(client, streams) -> tuple[list[asyncio.Task], float]:
    """Open every (cookie, params, on_data) stream, 50 at a time as a shift logs in; returns the
    listening tasks and the seconds until all were registered."""
    ready = asyncio.Semaphore(0)
    started = time.perf_counter()
    tasks = []
    for i, (cookie, params, on_data) in enumerate(streams):
        tasks.append(asyncio.create_task(listen(client, cookie, params, ready, on_data)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    for _ in tasks:
        await asyncio.wait_for(ready.acquire(), timeout=300)
    return tasks, time.perf_counter() - started


async def close_streams(tasks: list[asyncio.Task]) -> None:
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def worker_rss_mib(master_pid: int) -> list[float]:
    """Resident memory of each gunicorn worker (children of the master), in MiB."""
    out = subprocess.run(
        ["ps", "-o", "pid=,rss=", "--ppid", str(master_pid)], capture_output=True, text=True
    ).stdout
    return [int(line.split()[1]) / 1024 for line in out.strip().splitlines()]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def backend_cpu_seconds() -> float | None:
    """CPU seconds (user + system) spent so far by the PostgreSQL backend serving this
    process's default connection, read from /proc (the server runs on this machine); None
    where it cannot be read (SQLite, a remote server)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return process_cpu_seconds(pid)


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) spent so far by process `pid`; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat; the difference of two
    samples gives how busy the machine was in between."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def busiest_month() -> tuple[str, int]:
    """("YYYY-MM", tickets) of the month in which most tickets were dispatched: the one the
    evaluation benches score."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from hotline.tickets.models import Ticket

    month = (
        Ticket.objects.exclude(dispatched_at=None)
        .annotate(m=TruncMonth("dispatched_at"))
        .values("m")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return month["m"].strftime("%Y-%m"), month["n"]
