"""A real `hotline worker` process: killed with SIGKILL, the next one catches up.

PostgreSQL only: the worker is a separate process and must see the test's committed rows,
which an in-memory SQLite database cannot share.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from hotline.supervision.models import ScheduledRun, Warning
from hotline.tickets.models import Status

from .conftest import local

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a database shared with a subprocess"
)


def _worker(*args):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "worker", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "HOTLINE_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_killed_worker_then_a_new_one_catches_up(make):
    first = make(Status.IN_PROGRESS, local(2025, 9, 30, 10, 0))
    worker = _worker("--poll", "0.2")
    assert _wait_for(lambda: Warning.objects.filter(ticket=first).exists())
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)

    # While no worker runs, two more tickets go overdue.
    late = [make(Status.IN_PROGRESS, local(2025, 9, 30, 10, 0)) for _ in range(2)]
    again = _worker("--once")
    out, err = again.communicate(timeout=120)

    assert again.returncode == 0, err.decode()
    assert "deadline_sweep: {'yellow': 0, 'red': 2, 'notifications': 3}" in out.decode()
    assert sorted(Warning.objects.values_list("ticket_id", flat=True)) == sorted(
        [first.pk] + [t.pk for t in late]
    )
    assert ScheduledRun.objects.filter(job="deadline_sweep").count() == 1
