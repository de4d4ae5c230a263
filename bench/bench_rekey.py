"""Key rotation of citizens' personal data: re-encrypting every ticket under a new SM4 key.

    .venv/bin/python bench/bench_rekey.py [--tickets 1000000] [--sqlite] [--reuse]

Loads the demo province and N tickets through the bulk path (encrypted under key `b1`) into
`hotline_bench_rekey`, then puts a new key `b2` first in the ring and times
`crypto.rekey_rows` over the tickets table (what `hotline rotate-data-key` runs, outside a
transaction: on PostgreSQL one connection reads and encrypts while another writes): rows per
second, the time for N, and that time scaled to 1 M tickets (target ≤ 10 min). Also the CPU
seconds of this process, to tell the work from the wait on a shared machine.
"""

import argparse
import os
import time

from common import demo_database

KEY_1 = "b1:" + "1f" * 32
KEY_2 = "b2:" + "2e" * 32


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--database", default="hotline_bench_rekey")
    ap.add_argument("--batch", type=int, default=2000)
    args = ap.parse_args()
    os.environ["HOTLINE_DATA_KEY"] = KEY_1
    total = demo_database(args, args.database)

    from django.conf import settings
    from django.db import connection

    from hotline import crypto
    from hotline.audit.management.commands.rotate_data_key import encrypted_tables

    print(f"database  {connection.vendor}, {total} tickets, load {os.getloadavg()}")

    # Rotate to the key fewer rows are under (a --reuse run alternates; a stopped run's
    # remainder is rotated on, not undone).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FILTER (WHERE citizen_phone LIKE 'b1:%%'), "
                       "count(*) FILTER (WHERE citizen_phone LIKE 'b2:%%') FROM tickets_ticket")  # fmt: skip
        on_b1, on_b2 = cursor.fetchone()
    on_1 = on_b1 >= on_b2
    settings.DATA_KEY = f"{KEY_2},{KEY_1}" if on_1 else f"{KEY_1},{KEY_2}"
    crypto.reset()
    ((table, columns, hashes),) = [t for t in encrypted_tables() if t[0] == "tickets_ticket"]
    started, cpu = time.perf_counter(), time.process_time()
    last_print = [started]

    def progress(last, changed):
        now = time.perf_counter()
        if now - last_print[0] > 30:
            print(f"  {changed} rows, {changed / (now - started):.0f}/s", flush=True)
            last_print[0] = now

    changed = crypto.rekey_rows(
        connection, table=table, columns=columns, hashes=hashes, batch=args.batch,
        progress=progress,
    )  # fmt: skip
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"re-encrypted {changed} of {total} tickets in {took:.1f} s "
          f"({changed / took:.0f} rows/s); per 1 M: {1_000_000 * took / max(changed, 1) / 60:.1f} min")  # fmt: skip
    print(f"CPU of this process (reading, SM4, HMAC-SM3, writing thread): {cpu:.0f} s")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
