"""The issue's trial, kept as a test: eight clients register while a gunicorn worker is
killed with SIGKILL and PostgreSQL crashes (immediate stop) and restarts three seconds later.

Every acknowledged registration is in the database once, none twice; the hash chains verify;
every request that failed (503, or a connection the killed worker dropped) succeeds when sent
again with the same external reference, without a second ticket; no request gets a 500."""

import os
import signal
import threading
import time
from collections import Counter

import httpx
import psycopg

from .cluster import gunicorn_workers, hotline
from .test_outage import _demand

CLIENTS = 8
SECONDS = float(os.environ.get("HOTLINE_CHAOS_SECONDS", "16"))
KILL_AT, CRASH_AT, DOWN_FOR = 3.0, 6.0, 3.0


class Client(threading.Thread):
    def __init__(self, base: str, key: str, n: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.key, self.n, self.stop = base, key, n, stop
        self.acknowledged: dict[str, str] = {}  # external_ref -> number
        self.failures = Counter()  # what a failed attempt got: 503, "connection"
        self.retried: set[str] = set()  # refs that needed more than one attempt
        self.unexpected: list[tuple] = []  # anything else: a 500, a 503 without Retry-After

    def run(self):
        http = httpx.Client(
            base_url=self.base, timeout=15, headers={"Authorization": f"Bearer {self.key}"}
        )
        i = 0
        while not self.stop.is_set():
            i += 1
            ref = f"chaos-{self.n}-{i}"
            while True:  # the same reference until it is acknowledged (rule 6 makes it safe)
                try:
                    r = http.post("/api/v1/tickets", json=_demand(ref))
                except httpx.TransportError:
                    self.failures["connection"] += 1
                    self.retried.add(ref)
                    time.sleep(0.1)
                    continue
                if r.status_code in (200, 201):
                    self.acknowledged[ref] = r.json()["number"]
                    break
                ok_503 = (
                    r.status_code == 503
                    and r.headers.get("Retry-After") == "5"
                    and r.json()["code"] == "unavailable"
                )
                if not ok_503:
                    self.unexpected.append((ref, r.status_code, r.text[:200]))
                    break
                self.failures[503] += 1
                self.retried.add(ref)
                time.sleep(0.2)  # shorter than Retry-After: the test wants to see the restart


def test_registrations_survive_a_killed_worker_and_a_crashed_database(cluster, served):
    # given: eight clients registering against two gunicorn workers
    stop = threading.Event()
    clients = [Client(served.base, served.key, n, stop) for n in range(CLIENTS)]
    for c in clients:
        c.start()
    started = time.monotonic()

    # when: a worker is killed, then the database crashes and comes back three seconds later
    time.sleep(KILL_AT)
    victim = gunicorn_workers(served.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    time.sleep(CRASH_AT - KILL_AT)
    cluster.crash()
    time.sleep(DOWN_FOR)
    cluster.start()
    time.sleep(max(0.0, SECONDS - (time.monotonic() - started)))
    stop.set()
    for c in clients:
        c.join(60)

    # then: nothing unexpected, the outage was met, and every failed request got through
    assert [u for c in clients for u in c.unexpected] == []
    assert all(not c.is_alive() for c in clients)
    failures = sum((c.failures for c in clients), Counter())
    assert failures[503] > 0
    acknowledged = {ref: number for c in clients for ref, number in c.acknowledged.items()}
    retried = set().union(*(c.retried for c in clients))
    assert retried <= set(acknowledged)
    # every acknowledged registration is there once, with its number, and nothing else is
    with psycopg.connect(served.url) as conn:
        rows = conn.execute(
            "SELECT external_ref, number FROM tickets_ticket WHERE external_ref LIKE 'chaos-%%'"
        ).fetchall()
    assert len(rows) == len(acknowledged)
    assert dict(rows) == acknowledged
    assert len({number for _, number in rows}) == len(rows)
    # the hash chains verify (the command fails on a broken one)
    assert "0 张流转记录异常" in hotline(
        served.url, "check-chain", env={"HOTLINE_VAR_DIR": str(served.var)}
    )
    print(f"acknowledged {len(acknowledged)}, retried {len(retried)}, failures {dict(failures)}")
