"""A real worker process, killed with SIGKILL while a POST is in flight, loses nothing.

PostgreSQL only: the worker is a separate process and must see the test's committed rows,
which an in-memory SQLite database cannot share.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from hotline.exchange.models import Delivery, DeliveryState, OutboxMessage, Subscription
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a database shared with a subprocess"
)


class HangingReceiver:
    """Records every POST; the first one is left hanging until `release` is set."""

    def __init__(self):
        self.bodies = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                if len(outer.bodies) == 1:
                    outer.first_arrived.set()
                    outer.release.wait(30)
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass  # the worker is dead

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _worker(*args):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "HOTLINE_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "exchange", "deliver", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing(province, system):
    receiver = HangingReceiver()
    Subscription.objects.create(system=system, url=receiver.url, secret="k")
    ticket_at(province, Status.IN_PROGRESS)
    ticket_at(province, Status.DISPATCHED)
    # Old enough for the worker's settle time (it runs with the default settings).
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    expected = list(OutboxMessage.objects.order_by("id").values_list("id", flat=True))

    worker = _worker()
    assert receiver.first_arrived.wait(30)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    receiver.release.set()
    time.sleep(0.2)
    assert not Delivery.objects.filter(state=DeliveryState.DELIVERED).exists()

    again = _worker("--once")
    out, err = again.communicate(timeout=60)

    assert again.returncode == 0, err.decode()
    last = json.loads(receiver.bodies[-1])["events"]
    assert [e["id"] for e in last] == expected  # every event, in order, after the kill
    assert Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == len(expected)
    receiver.server.shutdown()
