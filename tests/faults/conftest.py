"""The served product on a throwaway PostgreSQL cluster that the fault tests crash."""

import os
import signal
from types import SimpleNamespace

import pytest

from .cluster import Cluster, prepare, require_pg_bindir, serve

# What the served product needs to be driven hard over plain HTTP by one client address.
SERVE_ENV = {
    "HOTLINE_SECURE_COOKIES": "false",
    "HOTLINE_API_RATE_PER_TOKEN": "off",
    "HOTLINE_API_RATE_PER_ADDRESS": "off",
}


@pytest.fixture(scope="package")
def cluster():
    c = Cluster(require_pg_bindir()).init()
    c.start()
    yield c
    c.remove()


@pytest.fixture(scope="package")
def served(cluster):
    """gunicorn (two workers) on the cluster's `hotline` database, with an agent's API key."""
    url = cluster.createdb("hotline")
    var = cluster.folder / "var"
    key = prepare(url, var)
    saved = {k: os.environ.get(k) for k in SERVE_ENV}
    os.environ.update(SERVE_ENV)
    try:
        proc, base = serve(url, var)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    yield SimpleNamespace(url=url, var=var, key=key, base=base, proc=proc)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
