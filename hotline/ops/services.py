"""Heartbeats of background processes, and the loop guard that keeps them alive through a
database outage. The lowest layer: the workers of every app above call in here."""

import contextlib
import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.utils import timezone
from django.utils.crypto import get_random_string

from .models import WorkerHeartbeat

log = logging.getLogger("hotline.worker")

BEAT_SECONDS = 10  # how often a running process writes its heartbeat
STALE_AFTER = timedelta(seconds=3 * BEAT_SECONDS)  # no beat for this long: the process is gone
# Errors that mean "the database is not there right now" (crashed, restarting, failing over,
# connection cut), as opposed to a bug or bad data: the process waits and tries again.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


def is_unavailable(exc: BaseException) -> bool:
    """True if `exc` says the database cannot be reached, not that the statement was wrong.

    psycopg reports a connection lost mid-statement as OperationalError; a connection that
    Django already knows is closed raises InterfaceError."""
    return isinstance(exc, UNAVAILABLE_ERRORS)


class Heartbeat:
    """One process's heartbeat, written by a thread of its own every BEAT_SECONDS.

    A thread, not the worker's loop: a task that runs for minutes must not make its worker
    look dead (another worker would then take its tasks back). The thread has its own
    database connection; while the database is down it keeps trying."""

    def __init__(self, kind: str, worker_id: str | None = None):
        self.kind = kind
        self.worker_id = worker_id or get_random_string(32)
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """Record that the process is alive, now."""
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"seen_at": now},
            create_defaults={
                "kind": self.kind,
                "host": socket.gethostname()[:128],
                "pid": os.getpid(),
                "started_at": self.started_at,
                "seen_at": now,
            },
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except DatabaseError as exc:
                log.warning("heartbeat of %s not written: %s", self.kind, str(exc).strip()[:200])
                connection.close()  # this thread's own; a broken one would fail again
            self._stop.wait(BEAT_SECONDS)
        connection.close()

    def start(self) -> "Heartbeat":
        self.beat()  # the first one before any work, so that the process is known at once
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{self.kind}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """A process that exits cleanly removes its row (a killed one leaves it to age)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(BEAT_SECONDS)
        # If the database is gone, the row ages like a killed process's.
        with contextlib.suppress(DatabaseError):
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()


def survive_outage(exc: BaseException, *, wait: float, out=None) -> None:
    """Called by a worker loop that caught `exc`: re-raise anything that is not an outage;
    otherwise drop every connection (a broken one would fail again) and wait before the
    next pass. Nothing is lost: every worker keeps its state in the database, and what it
    had not committed is done again on the next pass."""
    if not is_unavailable(exc):
        raise exc
    message = f"database unavailable, retrying in {wait:.0f}s: {str(exc).strip()[:200]}"
    log.warning(message)
    if out is not None:
        out.write(message)
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):
            conn.close()
    time.sleep(wait)


def live_worker_ids(now=None) -> list[str]:
    """The ids of the processes whose heartbeat is fresh."""
    since = (now or timezone.now()) - STALE_AFTER
    return list(
        WorkerHeartbeat.objects.filter(seen_at__gte=since).values_list("worker_id", flat=True)
    )


def prune(before) -> int:
    """Forget heartbeats not renewed since `before` (processes long gone)."""
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=before).delete()
    return deleted
