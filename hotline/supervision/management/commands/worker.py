"""`hotline worker`: the background process. It enqueues the periodic jobs on schedule
(`hotline/supervision/schedule.py`) and runs every task queued through Django's tasks API
(django-tasks, database backend), whichever app enqueued it.

Any number of workers may run: a periodic job is enqueued once per time slot (unique key), and
a queued task is claimed by one worker (`SELECT … FOR UPDATE SKIP LOCKED`). Every job is
idempotent and works by state, so a worker that was stopped catches up on its next pass.
"""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks.base import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from hotline.ops.services import Heartbeat, live_worker_ids, survive_outage
from hotline.supervision import schedule

# Seconds to wait after the database went away before the next pass (it may be restarting
# or failing over to a standby).
OUTAGE_WAIT = 2.0


class ReportingWorker(Worker):
    """django-tasks-db's worker, writing one line per task it runs."""

    def __init__(self, *, out, err, **kwargs):
        super().__init__(**kwargs)
        self.out, self.err = out, err

    def shutdown(self, signum, frame) -> None:
        """A first stop signal ends the loop after its current step; django-tasks-db's own
        handler exits at once when no task runs, i.e. in the middle of whatever statement the
        schedule or the heartbeat's set-up was sending. A second signal still forces."""
        if not self.running:
            super().shutdown(signum, frame)
        self.running = False

    def run_task(self, db_task_result: DBTaskResult) -> None:
        started = time.monotonic()
        super().run_task(db_task_result)
        took = time.monotonic() - started
        name = db_task_result.task_path
        if name == "hotline.supervision.tasks.call":  # a plain function run as a job
            name = db_task_result.args_kwargs["args"][0]
        name = name.rsplit(".", 1)[-1] if name.startswith("hotline.supervision.") else name
        if db_task_result.status == "SUCCESSFUL":
            self.out.write(f"{name}: {db_task_result.return_value} ({took:.2f}s)")
        else:  # a failing task must not stop the others; its traceback is stored with it
            last = db_task_result.traceback.strip().splitlines()[-1:] or [""]
            self.err.write(f"{name}: failed: {last[0]}")

    def claim_next(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result

    def requeue_orphans(self) -> int:
        """Put back in the queue the tasks left RUNNING by a worker that is gone (killed, or
        its database connection cut before it could record the outcome): no heartbeat of it
        for STALE_AFTER. Every task is idempotent, so running one again is safe."""
        alive = set(live_worker_ids())
        orphans = [
            t.pk
            for t in DBTaskResult.objects.running().only("id", "worker_ids")
            if not t.worker_ids or t.worker_ids[-1] not in alive
        ]
        if orphans:
            DBTaskResult.objects.filter(pk__in=orphans, status="RUNNING").update(
                status="READY", started_at=None
            )
            self.err.write(f"requeued {len(orphans)} task(s) of workers that are gone")
        return len(orphans)

    def drain(self) -> int:
        """Run queued tasks until none is ready (or a shutdown signal arrived)."""
        n = 0
        while self.running:
            task_result = self.claim_next()
            if task_result is None:
                break
            self.run_task(task_result)
            n += 1
        return n


class Command(BaseCommand):
    help = "运行后台任务：按计划入队周期任务（时限预警、自动督办……），并执行队列中的全部任务"

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="enqueue every job, run the queue dry, exit"
        )
        parser.add_argument(
            "--interval", type=float, default=10.0, help="seconds between schedule checks"
        )
        parser.add_argument(
            "--poll", type=float, default=1.0, help="seconds between queue polls when idle"
        )
        parser.add_argument("--queue-name", default=DEFAULT_TASK_QUEUE_NAME)
        parser.add_argument("--no-schedule", action="store_true", help="only run queued tasks")

    def handle(self, *args, once=False, interval=10.0, poll=1.0, queue_name="default",
               no_schedule=False, **options):  # fmt: skip
        worker = ReportingWorker(
            out=self.stdout, err=self.stderr, queue_names=queue_name.split(","), interval=poll,
            batch=once, backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False,
            max_tasks=None, worker_id=get_random_string(32), excluded_queue_names=[],
        )  # fmt: skip
        if once:
            self._tick(no_schedule, force=True)
            worker.drain()
            return
        worker.configure_signals()
        self.worker = worker
        heartbeat = self._start_heartbeat(worker.worker_id)
        next_tick = 0.0
        while worker.running:
            try:
                if time.monotonic() >= next_tick:
                    worker.requeue_orphans()
                    self._tick(no_schedule)
                    next_tick = time.monotonic() + interval
                if not worker.drain():
                    time.sleep(poll)
            except Exception as exc:  # an outage is waited out; anything else stops the loop
                survive_outage(exc, wait=OUTAGE_WAIT, out=self.stderr)
            # A long-lived process must not hold a broken or stale connection across polls.
            close_old_connections()
        heartbeat.stop()

    def _start_heartbeat(self, worker_id: str) -> Heartbeat:
        while True:  # a worker started while the database is still coming up waits for it
            try:
                return Heartbeat(kind="worker", worker_id=worker_id).start()
            except Exception as exc:
                survive_outage(exc, wait=OUTAGE_WAIT, out=self.stderr)
                if not self.worker.running:  # stopped while waiting for the database
                    raise SystemExit(0) from None

    def _tick(self, no_schedule, force=False):
        if no_schedule:
            return
        try:
            enqueued = schedule.tick(force=force)
        except Exception as exc:  # the queue keeps being served while the schedule is broken
            self.stderr.write(f"schedule: failed: {exc!r}")
            return
        if enqueued:
            self.stdout.write(f"enqueued: {', '.join(enqueued)}")
