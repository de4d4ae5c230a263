"""The bulk loader (hotline/tickets/bulk/): tickets per second, and every chain intact.

    .venv/bin/python bench/bench_bulk_load.py --tickets 1000000
        [--database-url postgres://postgres@127.0.0.1:5432/postgres | --sqlite]
        [--workers N] [--batch N] [--no-rebuild] [--check N|all] [--keep]

Sets up a fresh database — on PostgreSQL the dedicated database `hotline_bench_bulk` on the
server of --database-url (dropped and created again), with --sqlite (or without any URL) a
temporary SQLite file — migrates it, builds the demo province, then times
`bulk.load(N)` and prints tickets/s and events/s and where the time went: making the rows
in Python (CPU seconds, in the worker processes), feeding the database (COPY / INSERT) and,
for a large load, rebuilding indexes and constraints. It then checks that the schema is
exactly as the migrations left it, that ticket numbers and their counters agree, and
verifies the hash chain (history.verify_all, what `hotline check-chain` runs) of a sample
of tickets spread over the whole load (--check N, default 20000) or of all (--check all).
Exits non-zero if any check fails. The database is dropped at the end unless --keep.
"""

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import machine_cpu, process_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "hotline_bench_bulk"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def fresh_database(url: str | None) -> tuple[str, object]:
    """(database URL, cleanup) for a new, empty database."""
    if url and url.startswith("postgres"):
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')

        def drop():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

        return urlunsplit(parts._replace(path=f"/{DB_NAME}")), drop
    folder = Path(tempfile.mkdtemp(prefix="hotline-bench-bulk-"))
    os.environ["HOTLINE_VAR_DIR"] = str(folder)  # settings write nothing under var/

    def remove():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()

    return f"sqlite:///{folder / (DB_NAME + '.sqlite3')}", remove


def schema_snapshot() -> list[tuple]:
    """Every index and constraint of the ticket tables, as the database describes them."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The partitions of the history are left out: the load makes the months it
            # fills, and each inherits its indexes and constraints from the table's.
            cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE tablename LIKE 'tickets\\_%%' "
                "AND NOT (SELECT relispartition FROM pg_class WHERE oid = "
                "(quote_ident(schemaname) || '.' || quote_ident(tablename))::regclass) "
                "UNION ALL SELECT conrelid::regclass::text, conname, "
                "pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END "
                "FROM pg_constraint WHERE (conrelid::regclass::text LIKE 'tickets\\_%%' "
                "OR confrelid::regclass::text LIKE 'tickets\\_%%') "
                "AND NOT (SELECT relispartition FROM pg_class WHERE oid = conrelid)"
            )
        else:
            cursor.execute(
                "SELECT tbl_name, name, sql FROM sqlite_master WHERE tbl_name LIKE 'tickets_%%'"
            )
        return sorted(cursor.fetchall(), key=lambda row: tuple(str(x) for x in row))


def counters_agree() -> tuple[bool, str]:
    """Each number's sequence is within its region-and-day counter; numbers are unique."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT substr(number, 1, 14) AS k, "
            "MAX(CAST(substr(number, 15) AS integer)) AS m FROM tickets_ticket GROUP BY 1) t "
            "LEFT JOIN tickets_numbercounter c ON c.key = t.k WHERE c.value IS NULL OR c.value < t.m"
        )
        behind = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*), COUNT(DISTINCT number) FROM tickets_ticket")
        total, distinct = cursor.fetchone()
    ok = behind == 0 and total == distinct
    return ok, f"{behind} counters behind their numbers, {total - distinct} duplicate numbers"


def check_chains(sample: str, seed: int) -> tuple[int, list]:
    """(tickets checked, broken reports) over a spread sample of windows, or all tickets."""
    from django.db.models import Max, Min, Q

    from hotline.tickets import history
    from hotline.tickets.models import Ticket

    tickets = Ticket.objects.all()
    if sample != "all":
        wanted = int(sample)
        bounds = Ticket.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
        lo, hi = bounds["lo"] or 0, bounds["hi"] or 0
        if hi - lo + 1 > wanted:
            width = 500
            rng = random.Random(seed)
            starts = sorted(rng.sample(range(lo, hi - width + 2), max(1, wanted // width)))
            where = Q()
            for start in [lo, *starts, hi - width + 1]:
                where |= Q(pk__range=(start, start + width - 1))
            tickets = tickets.filter(where)
    checked, broken = 0, []
    for report in history.verify_all(tickets):
        checked += 1
        if not report.ok:
            broken.append(report)
    return checked, broken


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=200_000)
    ap.add_argument("--database-url", default=os.environ.get("HOTLINE_BENCH_PG"))
    ap.add_argument("--sqlite", action="store_true", help="a temporary SQLite file")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--batch", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--no-rebuild", action="store_true", help="keep indexes during the load")
    ap.add_argument("--check", default="20000", help="tickets to chain-check, or 'all'")
    ap.add_argument("--keep", action="store_true", help="keep the database")
    args = ap.parse_args()

    url, cleanup = fresh_database(None if args.sqlite else (args.database_url or DEFAULT_PG))
    os.environ["HOTLINE_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from hotline.catalog.services import load_calendar, load_categories, load_default_policies
    from hotline.orgs.demo import build_demo_province
    from hotline.tickets import bulk
    from hotline.tickets.models import Ticket, TicketEvent

    ok = True
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        load_categories()
        load_default_policies()
        load_calendar()
        build_demo_province(password="bench-bulk-12345")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT version()"
                if connection.vendor == "postgresql"
                else "SELECT 'SQLite ' || sqlite_version()"
            )
            server = cursor.fetchone()[0].split(" on ")[0]
        print(
            f"date      {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ({platform.node()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
        )
        print(f"database  {server}  {url.split('@')[-1]}")
        print(f"setup     migrate + province in {time.perf_counter() - started:.1f} s")
        before = schema_snapshot()

        stats: dict = {}
        kwargs = {"rebuild": False} if args.no_rebuild else {}
        # bulk.load may close and reopen the connection (before it forks): compare pids.
        pid_before = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid_before = cursor.fetchone()[0]
        server_before = process_cpu_seconds(pid_before)
        busy = machine_cpu()[0]
        wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        bulk.load(
            args.tickets,
            seed=args.seed,
            days=args.days,
            batch=args.batch,
            workers=args.workers,
            stats=stats,
            **kwargs,
        )
        wall = time.perf_counter() - wall
        busy = (machine_cpu()[0] - busy) / os.sysconf("SC_CLK_TCK")  # CPU-seconds of all
        pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
        server = process_cpu_seconds(pid)
        if server is not None and pid == pid_before:
            server -= server_before
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        main_cpu = own.ru_utime + own.ru_stime - cpu.ru_utime - cpu.ru_stime
        n, events = stats["tickets"], stats["events"]
        rows = n + events + stats["assignments"]
        print(
            f"load      {n:,} tickets, {events:,} events, {stats['assignments']:,} assignments "
            f"in {wall:.1f} s  (load average now {os.getloadavg()[0]:.1f})"
        )
        print(
            f"rate      {n / wall:,.0f} tickets/s   {events / wall:,.0f} events/s   "
            f"{rows / wall:,.0f} rows/s"
        )
        rebuild = " + ".join(
            f"{key[:-2].replace('_', ' ')} {stats[key]:.1f}"
            for key in ("drop_s", "indexes_s", "foreign_keys_s", "analyze_s", "commit_s")
            if key in stats
        )
        print(
            f"python    {stats['generate_cpu_s']:.1f} CPU-s making rows "
            f"({stats['generate_cpu_s'] / n * 1e6:.1f} µs/ticket) in "
            f"{stats['workers'] or 'no'} worker process(es), {stats['chunks']} chunks; "
            f"this process {main_cpu:.1f} CPU-s, workers {children.ru_utime + children.ru_stime:.1f} CPU-s"
        )
        print(
            f"database  {stats['write_s']:.1f} s feeding {'COPY' if connection.vendor == 'postgresql' else 'INSERT'} "
            f"(overlapped with the Python), waited {stats['wait_s']:.1f} s for rows, "
            f"prepare {stats['prepare_s']:.1f} s"
            + (f"; rebuild {rebuild} s" if stats.get("rebuild") else "; indexes kept")
            + ("; rows written frozen (COPY FREEZE)" if stats.get("frozen") else "")
        )

        if busy is not None:
            python = main_cpu + children.ru_utime + children.ru_stime
            print(
                f"machine   {busy:.0f} CPU-s busy in {wall:.0f} s on {os.cpu_count()} CPUs: "
                f"{python:.0f} ours in Python"
                + (f", {server:.0f} our database server process" if server is not None else "")
                + f", {busy - python - (server or 0):.0f} everything else "
                "(parallel index builders, WAL, other users)"
            )
        after = schema_snapshot()
        same = before == after
        ok &= same
        print(
            f"schema    {'unchanged' if same else 'CHANGED'} ({len(after)} indexes and constraints)"
        )
        if not same:
            for row in sorted(set(before) ^ set(after)):
                print("          ", "-" if row in before else "+", *row)
        count, stored = Ticket.objects.count(), TicketEvent.objects.count()
        agree, detail = counters_agree()
        ok &= agree and count == n and stored == events
        print(
            f"numbers   {'ok' if agree else 'WRONG'}: {detail}; {count:,} tickets, {stored:,} events stored"
        )

        started = time.perf_counter()
        checked, broken = check_chains(args.check, args.seed)
        ok &= not broken and checked > 0
        print(
            f"chains    {checked:,} tickets checked ({args.check}), {len(broken)} broken, "
            f"in {time.perf_counter() - started:.1f} s"
        )
        for report in broken[:10]:
            print(f"          {report.ticket_number} #{report.seq}: {report.problem}")
    finally:
        if args.keep:
            print(f"kept      {url}")
        else:
            cleanup()
    print("result    " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
