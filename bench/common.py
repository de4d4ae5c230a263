"""Shared set-up for the benchmarks: a fresh database, the province, a served app."""

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BASE = "postgres://postgres@127.0.0.1:5432"


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
