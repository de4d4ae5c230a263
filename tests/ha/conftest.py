"""The served product on a three-member Patroni cluster (tests/ha/patroni.py).

The cluster tests take a minute and start etcd and three PostgreSQL servers, so they run under
`make test-ha` (which installs Patroni and etcd, then sets HOTLINE_TEST_HA=1), not inside every
plain pytest run; `make test` runs `make test-ha`. With CI=true a missing package fails.
"""

import os
import signal
from types import SimpleNamespace

import psycopg
import pytest

from tests.faults.cluster import prepare, serve
from tests.faults.conftest import SERVE_ENV

from .patroni import PatroniCluster

if os.environ.get("HOTLINE_TEST_HA") != "1":
    collect_ignore = ["test_failover.py", "test_replica_reads.py"]


@pytest.fixture(scope="package")
def ha():
    cluster = PatroniCluster()
    missing = cluster.missing()
    if missing:
        cluster.remove()
        if os.environ.get("CI") == "true":
            pytest.fail(f"not installed: {', '.join(missing)} (make test-ha installs them)")
        pytest.skip(f"not installed: {', '.join(missing)}")
    try:
        cluster.start()
    except RuntimeError:
        cluster.remove()
        raise
    yield cluster
    cluster.remove()


@pytest.fixture(scope="package")
def served(ha):
    """gunicorn (four workers) on the cluster through the multi-host URL, an agent's key."""
    leader = ha.leader()
    with psycopg.connect(ha.member_url(leader, "postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE hotline")
    url = ha.url()
    var = ha.folder / "var"
    key = prepare(url, var)
    saved = {k: os.environ.get(k) for k in SERVE_ENV}
    os.environ.update(SERVE_ENV)
    try:
        proc, base = serve(url, var, workers=4)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    yield SimpleNamespace(url=url, var=var, key=key, base=base, proc=proc)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
