"""`hotline backup` and `hotline restore` of the demo province (issue 18).

    nice .venv/bin/python bench/bench_backup.py [--tickets 10000] [--sqlite] [--reuse]

Builds the demo province with N tickets (PostgreSQL `hotline_bench_backup`, or a temporary
SQLite file), times the backup to a temporary file, then restores it into a new empty database
in another process (its `migrate` timed apart) and prints the figures: rows, archive size,
seconds and rows per second each way. The restore includes its own checks (every segment, the
counts, every ticket's hash chain).
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import subprocess
import tempfile
import time
from pathlib import Path

from common import BIN, PG_BASE, ROOT, demo_database, fresh_database

NAME = "hotline_bench_backup"
TARGET = "hotline_bench_backup_restore"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=10000)
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep the PostgreSQL source database")
    args = ap.parse_args()
    # A fixed data key of the synthetic demo data, so that --reuse reads what an earlier run
    # wrote; the backup key is new every run.
    os.environ.setdefault("HOTLINE_DATA_KEY", "bench:" + hashlib.sha256(NAME.encode()).hexdigest())
    os.environ["HOTLINE_BACKUP_KEY"] = f"bbench:{secrets.token_hex(32)}"
    tickets = demo_database(args, NAME)
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}")

    from django.core.management import call_command
    from django.db import connection

    folder = Path(tempfile.mkdtemp(prefix="hotline-backup-bench-"))
    archive = folder / "hotline.bak"
    started = time.perf_counter()
    call_command("backup", out=str(archive), quiet_tables=True)
    took_backup = time.perf_counter() - started
    rows = json.loads((folder / "hotline.bak.manifest.json").read_text())["rows"]

    target = fresh_database(None if args.sqlite else PG_BASE, TARGET)
    env = {**os.environ, "HOTLINE_DATABASE_URL": target, "HOTLINE_VAR_DIR": str(folder)}
    hotline = [str(BIN / "hotline")]
    started = time.perf_counter()
    subprocess.run([*hotline, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    took_migrate = time.perf_counter() - started
    started = time.perf_counter()
    done = subprocess.run(
        [*hotline, "restore", "--in", str(archive)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    took_restore = time.perf_counter() - started
    print(done.stdout.splitlines()[-1])

    print(f"engine {connection.vendor}, {tickets} tickets, {rows} rows in 125+ tables")
    print(f"archive {archive.stat().st_size / 1e6:.1f} MB (SM4-GCM, zlib)")
    print(f"backup  {took_backup:6.1f} s  {rows / took_backup:8.0f} rows/s")
    inside = float(re.search(r"（([\d.]+) s）", done.stdout.splitlines()[-1])[1])
    print(f"restore {inside:6.1f} s  {rows / inside:8.0f} rows/s (the command's own time, with "
          f"every check; {took_restore:.1f} s with the process start; migrate {took_migrate:.1f} s)")  # fmt: skip
    if not args.sqlite:
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{TARGET}" WITH (FORCE)')
    for path in folder.rglob("*"):
        if path.is_file():
            path.unlink()
    print(f"load after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
