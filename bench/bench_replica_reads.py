"""The monthly report and the dashboard over N tickets, read from a streaming replica.

    .venv/bin/python bench/bench_replica_reads.py [--tickets 10000000] [--folder var/bench-replica]
        [--reuse] [--calls 20] [--primary-too] [--remove]

Issue 20's figure: over 10 M tickets, from a replica, the monthly report ≤ 30 s and each
dashboard call ≤ 500 ms. The shared server on 5432 has no replication entry in its pg_hba and
serves every other run on this machine, so the bench makes its own pair in `--folder`: a
primary (initdb, trust, port chosen free) that the demo province and N synthetic tickets are
loaded into (`hotline.tickets.bulk.load`, one year), then a standby cloned from it with
`pg_basebackup -R` and streaming from it, as docs/ha.md deploys one. `--reuse` starts the pair
of an earlier run again instead of loading (the load of 10 M takes tens of minutes).

The measuring runs in a child process whose settings carry HOTLINE_REPLICA_DATABASE_URL, so
`hotline.dbrouter.stale_reads` sends the report's and the dashboard's reads to the standby as
in production. What each server answered is read from its own pg_stat_database (tuples
returned in the bench's database) before and after, so the figure shows that the replica did
the reading. `--primary-too` measures the same with no replica configured, for comparison.
"""

import argparse
import datetime as dt
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, percentile

DB = "hotline"
PANELS = ["today", "top", "satisfaction", "warnings"]
CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{folder}'
max_connections = 100
shared_buffers = 2GB
effective_cache_size = 8GB
work_mem = 64MB
maintenance_work_mem = 1GB
max_wal_size = 8GB
wal_level = replica
max_wal_senders = 4
hot_standby = on
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[4]))
    if not found:
        sys.exit("PostgreSQL server binaries (Debian postgresql-15) are not installed")
    return found[-1].parent


class Pair:
    """A primary and its streaming standby in `folder`; each remembers its port in a file."""

    def __init__(self, folder: Path):
        self.folder = folder.resolve()
        self.bindir = _bindir()
        self.as_pg: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_pg = ["runuser", "-u", "postgres", "--"]
            self.pg_user = pwd.getpwnam("postgres")

    def data(self, role: str) -> Path:
        return self.folder / role

    def port(self, role: str) -> int:
        return int((self.folder / f"{role}.port").read_text())

    def url(self, role: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port(role)}/{DB}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_pg, *args], check=check, capture_output=True, text=True)

    def _own(self, path: Path) -> None:
        if self.as_pg:
            os.chown(path, self.pg_user.pw_uid, self.pg_user.pw_gid)

    def create_primary(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self._own(self.folder)
        port = _free_port()
        (self.folder / "primary.port").write_text(str(port))
        self._run(str(self.bindir / "initdb"), "-D", str(self.data("primary")), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        with open(self.data("primary") / "postgresql.conf", "a") as conf:
            conf.write(CONF.format(port=port, folder=self.folder))
        with open(self.data("primary") / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        self.start("primary")
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                  "-U", "postgres", DB)  # fmt: skip

    def clone_standby(self) -> None:
        """pg_basebackup -R: the standby's copy and its primary_conninfo, then started."""
        shutil.rmtree(self.data("standby"), ignore_errors=True)
        port = _free_port()
        (self.folder / "standby.port").write_text(str(port))
        self._run(str(self.bindir / "pg_basebackup"), "-h", "127.0.0.1",
                  "-p", str(self.port("primary")), "-U", "postgres", "-D",
                  str(self.data("standby")), "-X", "stream", "-R", "-c", "fast")  # fmt: skip
        with open(self.data("standby") / "postgresql.conf", "a") as conf:
            conf.write(f"port = {port}\n")
        self.start("standby")

    def start(self, role: str) -> None:
        if self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data(role)), "status",
                     check=False).returncode == 0:  # fmt: skip
            return  # still running from the run that loaded it
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data(role)),
                  "-l", str(self.folder / f"{role}.log"), "-w", "-t", "300", "start")  # fmt: skip

    def stop(self, role: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data(role)), "-m", "fast", "-w",
                  "stop", check=False)  # fmt: skip

    def wait_replayed(self, timeout: float = 600) -> float:
        """Seconds until the standby has replayed all the primary has written."""
        import psycopg

        started = time.monotonic()
        with psycopg.connect(self.url("primary"), autocommit=True) as p:
            target = p.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        while time.monotonic() - started < timeout:
            try:
                with psycopg.connect(self.url("standby"), autocommit=True) as s:
                    in_recovery, done = s.execute(
                        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn",
                        [target],
                    ).fetchone()
                if in_recovery and done:
                    return time.monotonic() - started
            except psycopg.OperationalError:
                pass  # still starting
            time.sleep(1)
        raise SystemExit(f"the standby did not catch up in {timeout:.0f} s")


def returned(url: str) -> int:
    """Tuples this server returned in the bench's database since its statistics began."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as c:
        return c.execute(
            "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = %s", [DB]
        ).fetchone()[0]


def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()


def load(tickets: int) -> None:
    """Migrate, the demo province, `tickets` synthetic tickets (in a child: settings from env)."""
    _django()
    from django.core.management import call_command
    from django.db import connection

    from hotline.tickets import bulk, demo

    call_command("migrate", verbosity=0)
    demo.build(tickets=0)
    started = time.perf_counter()
    bulk.load(tickets)
    print(f"loaded    {tickets:,} tickets in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as c:
        c.execute("ANALYZE")


def _child(pair: Pair, replica: bool, *args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOTLINE_DATABASE_URL": pair.url("primary")}
    env.pop("HOTLINE_REPLICA_DATABASE_URL", None)
    if replica:
        env["HOTLINE_REPLICA_DATABASE_URL"] = pair.url("standby")
    return subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT / "bench", env=env, check=True, **kw
    )


def measure(calls: int) -> dict:
    """The report twice and each dashboard panel, in this process (settings from the env)."""
    _django()
    from django.core.cache import cache
    from django.test import Client

    from hotline import dbrouter
    from hotline.catalog.calendar import to_local
    from hotline.orgs.models import Membership, Role, Unit, User
    from hotline.reports import charts, document, html, outline, periods, service

    out: dict = {"replica": dbrouter.replica_alias(), "report": [], "panels": {}}
    today = to_local(dt.datetime.now(dt.UTC)).date()
    period = periods.parse("monthly", f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}")
    region = service.region_by_code("")
    for _ in range(2):  # the first pays for imports, fonts and a cold cache
        started = time.perf_counter()
        f = service.build_figures(period, region)
        o = outline.build(f, f"{today.year}年{today.month}月{today.day}日")
        images = charts.all_charts(f)
        document.render(o, images)
        html.render(o, images)
        out["report"].append(time.perf_counter() - started)
    out["volume"] = f.volume.now

    user, _ = User.objects.get_or_create(username="bench_prov_analyst")
    center = Unit.objects.get(code="350000-center")
    Membership.objects.get_or_create(user=user, unit=center, role=Role.ANALYST)
    client = Client()
    client.force_login(user)
    client.get("/api/v1/health")  # the first request pays for loading the URLs and the API
    for panel in PANELS:
        url = f"/api/v1/dashboard/{panel}?region=350000"
        cache.clear()  # the first call finds nothing kept: the cold case
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        cold = (time.perf_counter() - started) * 1000
        times = []
        for _ in range(calls):
            cache.clear()  # every call computes: the figure is the query, not the cache
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
        out["panels"][panel] = [cold, percentile(times, 50), percentile(times, 95), max(times)]
    return out


def run_measure(pair: Pair, calls: int, replica: bool) -> dict:
    roles = ("primary", "standby") if pair.data("standby").exists() else ("primary",)
    before = {role: returned(pair.url(role)) for role in roles}
    done = _child(pair, replica, "--measure", "--calls", str(calls), capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["returned"] = {role: returned(pair.url(role)) - before[role] for role in roles}
    return result


def show(label: str, r: dict) -> None:
    print(f"{label} (replica alias: {r['replica']})")
    print(f"  monthly report, province, {r['volume']:,} tickets in the month: "
          f"first {r['report'][0]:.1f} s, second {r['report'][1]:.1f} s   (target ≤ 30 s)")  # fmt: skip
    for panel, (cold, p50, p95, worst) in r["panels"].items():
        print(f"  dashboard {panel:<13} cold {cold:7.1f} ms  p50 {p50:7.1f}  p95 {p95:7.1f}  "
              f"max {worst:7.1f} ms   (target ≤ 500 ms)")  # fmt: skip
    print("  tuples returned: " + ", ".join(f"{k} {v:,}" for k, v in r["returned"].items()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=10_000_000)
    ap.add_argument("--folder", default=str(ROOT / "var" / "bench-replica"))
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--primary-too", action="store_true")
    ap.add_argument("--remove", action="store_true", help="delete the pair's folder at the end")
    ap.add_argument("--no-standby", action="store_true", help="measure on the primary only")
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.calls)))
        return
    if args.load_only:
        load(args.tickets)
        return

    pair = Pair(Path(args.folder))
    print(f"load      {os.getloadavg()[0]:.1f} at the start (2 CPUs)")
    if args.reuse and pair.data("primary").exists():
        pair.start("primary")
    else:
        pair.create_primary()
        _child(pair, False, "--load-only", "--tickets", str(args.tickets))
    standby = pair.data("standby").exists()
    if standby and args.reuse:
        pair.start("standby")
    elif not args.no_standby:
        standby = _room_for_a_clone(pair)
        if standby:
            started = time.perf_counter()
            pair.clone_standby()
            print(f"standby   cloned with pg_basebackup in {time.perf_counter() - started:.0f} s")
    try:
        if standby:
            print(f"standby   replayed all in {pair.wait_replayed():.1f} s")
            show("from the replica", run_measure(pair, args.calls, replica=True))
        if args.primary_too or not standby:
            show("from the primary (no replica configured)", run_measure(pair, args.calls, False))
    finally:
        print(f"load      {os.getloadavg()[0]:.1f} at the end")
        if standby:
            pair.stop("standby")
        pair.stop("primary")
        if args.remove:
            shutil.rmtree(pair.folder, ignore_errors=True)


def _room_for_a_clone(pair: Pair) -> bool:
    """A clone is as big as the primary's data; filling the disk would stop every server."""
    need = sum(f.stat().st_size for f in pair.data("primary").rglob("*") if f.is_file())
    free = shutil.disk_usage(pair.folder).free
    if free > need * 1.2:
        return True
    print(f"standby   not cloned: the primary holds {need / 2**30:.1f} GiB and the disk has "
          f"{free / 2**30:.1f} GiB free (a clone needs as much again, plus a margin)")  # fmt: skip
    return False


if __name__ == "__main__":
    main()
