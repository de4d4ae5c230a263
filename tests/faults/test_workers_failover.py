"""The background processes through a database crash: the webhook worker and `hotline worker`
keep running, resume after the restart, and the exchange owes every event exactly one
delivery, all of them made; only the batch whose acknowledgement the crash cut off is posted
again (at least once: receivers dedupe by event id). A worker killed with SIGKILL mid-batch is
tests/exchange/test_worker_kill.py. Runs on the throwaway cluster (tests/faults/cluster.py)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import psycopg

from .cluster import ROOT, hotline
from .test_outage import _demand, _until_answered


class Receiver:
    """Records every POSTed event id; the POSTs named in `hold` hang until `release[n]`."""

    def __init__(self, hold=(1,)):
        self.events: list[int] = []
        self.posts = 0
        self.arrived = {n: threading.Event() for n in hold}
        self.release = {n: threading.Event() for n in hold}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.posts += 1
                n = outer.posts
                if n in outer.arrived:
                    outer.arrived[n].set()
                    outer.release[n].wait(60)
                outer.events += [e["id"] for e in body["events"]]
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass  # the worker is gone

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


SUBSCRIBE = """
from hotline.exchange import services
from hotline.exchange.models import Subscription
from hotline.orgs.models import Membership
m = Membership.objects.select_related("user", "unit").get(user__username="fz_dispatcher")
system = services.connect_system(code="failover", name="故障切换测试", unit=m.unit,
                                 service_user=m.user)
Subscription.objects.create(system=system, url="{url}", secret="k")
"""


def _process(served, *args):
    env = {**os.environ, "HOTLINE_DATABASE_URL": served.url, "HOTLINE_VAR_DIR": str(served.var),
           "HOTLINE_EXCHANGE_SETTLE_SECONDS": "0"}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _output(process) -> str:
    """What a process wrote to stderr, for an assertion's message (the process is stopped)."""
    process.kill()
    return process.stderr.read().decode()[-3000:]


def _register(served, prefix: str, n: int) -> None:
    api = httpx.Client(
        base_url=served.base, timeout=15, headers={"Authorization": f"Bearer {served.key}"}
    )
    for i in range(n):
        demand = _demand(f"{prefix}-{i}")
        # after a restart, a connection from before it fails once (503) and is replaced
        assert (
            _until_answered(lambda d=demand: api.post("/api/v1/tickets", json=d)).status_code == 201
        )


def _query(url: str, sql: str):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _wait(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except psycopg.OperationalError:
            pass
        time.sleep(0.2)
    return False


DELIVERED = (
    "SELECT count(*) FILTER (WHERE state = 'delivered'), count(*), count(DISTINCT message_id) "
    "FROM exchange_delivery"
)


def test_workers_resume_after_a_crash_and_every_event_is_delivered_once(cluster, served):
    # given: an outbox emptied of the earlier fault tests' registrations (the package shares
    # one database), a subscribed system, registrations in the outbox, both workers running
    with psycopg.connect(served.url) as conn:
        conn.execute("TRUNCATE exchange_outboxmessage CASCADE")
    receiver = Receiver(hold=(1, 3))
    hotline(served.url, "shell", "-c", SUBSCRIBE.format(url=receiver.url),
            env={"HOTLINE_VAR_DIR": str(served.var)})  # fmt: skip
    _register(served, "failover-a", 30)
    deliver = _process(served, "exchange", "deliver", "--interval", "0.2")
    worker = _process(served, "worker", "--interval", "1", "--poll", "0.2")
    assert receiver.arrived[1].wait(60), _output(deliver)

    # when: PostgreSQL crashes while the first batch is being posted, and comes back
    cluster.crash()
    receiver.release[1].set()  # acknowledged by the receiver, but its commit cannot happen
    time.sleep(2)
    cluster.start()
    _register(served, "failover-b", 20)

    # then: both processes outlived the outage, and every event is delivered once
    outbox = lambda: _query(served.url, "SELECT id FROM exchange_outboxmessage ORDER BY id")  # noqa: E731
    assert _wait(lambda: len(outbox()) == 50, seconds=180), _query(
        served.url, "SELECT topic, count(*) FROM exchange_outboxmessage GROUP BY topic"
    )
    expected = [r[0] for r in outbox()]
    assert receiver.arrived[3].wait(60)
    receiver.release[3].set()
    assert _wait(lambda: _query(served.url, DELIVERED)[0] == (50, 50, 50))
    assert deliver.poll() is None and worker.poll() is None
    assert set(receiver.events) == set(expected)
    sent_twice = {i for i, n in Counter(receiver.events).items() if n > 1}
    assert sent_twice <= set(expected[:30])  # only the batch in flight at the crash
    # the supervision worker beats again after the restart (health: one worker alive)
    beats = "SELECT kind, count(*) FROM ops_workerheartbeat WHERE seen_at > now() - interval '30 s' GROUP BY kind"
    assert _wait(lambda: dict(_query(served.url, beats)) == {"worker": 1, "exchange": 1})
    err = deliver.stderr
    deliver.send_signal(signal.SIGKILL)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    assert b"database unavailable" in err.read()
