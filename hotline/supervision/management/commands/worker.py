"""`hotline worker`: the periodic jobs (deadline sweep, supervision rules) as their own process.

Every job is idempotent and safe beside other workers (unique keys decide who wins), so any
number of workers may run, and one that was stopped catches up on its next pass.
"""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from hotline.supervision import services, sweep

JOBS = [
    ("deadline_sweep", lambda: sweep.sweep_deadlines()),
    ("supervision_rules", lambda: services.apply_rules()),
]


class Command(BaseCommand):
    help = "运行后台周期任务（时限预警、自动督办）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between runs")

    def handle(self, *args, once=False, interval=60.0, **options):
        while True:
            for name, job in JOBS:
                started = time.monotonic()
                try:
                    result = job()
                except Exception as exc:  # a failing job must not stop the others
                    self.stderr.write(f"{name}: failed: {exc!r}")
                    continue
                took = time.monotonic() - started
                self.stdout.write(f"{name}: {result} ({took:.2f}s)")
            if once:
                return
            time.sleep(interval)
            # A long-lived process must not hold a broken or stale connection across runs.
            close_old_connections()
