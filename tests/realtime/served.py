"""`hotline serve` itself in a child process, against this test run's database: the product as
deployed (gunicorn, uvicorn workers, the Redis broker), for the cross-process tests and the
browser journey."""

import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings

from hotline import crypto

from .server import session_cookies

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HOTLINE = Path(sys.executable).with_name("hotline")


def redis_or_skip() -> str:
    """The Redis on this machine; with CI=true its absence fails the run."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is required with CI=true: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


def database_url() -> str:
    """This test run's own database (committed data: the tests are transactional)."""
    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass
class Served:
    base: str
    channel: str
    secret_key: str

    def cookies(self, user) -> dict:
        """A session cookie the server accepts (sessions are tied to its secret key)."""
        with override_settings(SECRET_KEY=self.secret_key):
            return session_cookies(user)


def _data_key_env() -> dict[str, str]:
    """The server must read what this process encrypted, so it gets the same keys, passed as
    production passes them (it refuses the development key file it would otherwise make)."""
    if settings.DATA_KEY or settings.DATA_KEY_FILE:
        return {}  # inherited through the environment
    crypto.ring()  # makes this process's development key if it has none yet
    text = (Path(settings.VAR_DIR) / crypto.DEVELOPMENT_KEY_NAME).read_text()
    return {
        "HOTLINE_DATA_KEY": ",".join(line.strip() for line in text.splitlines() if line.strip())
    }


@contextlib.contextmanager
def hotline_serve(var_dir, *, workers=2, env=None):
    """Run `hotline serve` with the Redis broker on a private channel; yields a `Served`.

    The channel is this run's own: Redis pub/sub is server-wide, and other runs share it.
    The server refuses the development key, so it gets a key of its own.
    """
    url = redis_or_skip()
    channel = f"hotline-test:{uuid.uuid4().hex}"
    secret_key = uuid.uuid4().hex + uuid.uuid4().hex
    port = _free_port()
    child_env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": database_url(),
        "HOTLINE_REALTIME_URL": url,
        "HOTLINE_REALTIME_CHANNEL": channel,
        "HOTLINE_VAR_DIR": str(var_dir),
        "HOTLINE_SECRET_KEY": secret_key,
        "HOTLINE_LOG_LEVEL": "WARNING",
        **_data_key_env(),
        **(env or {}),
    }
    log_path = var_dir / f"serve-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [str(HOTLINE), "serve", "--port", str(port), "--workers", str(workers)],
        env=child_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, base, log_path)
        yield Served(base, channel, secret_key)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _wait_until_up(proc, base, log_path):
    # Readiness, not a timed assertion: the server answers, or its process died, or it never
    # came up at all (collectstatic on a loaded machine takes a while: a generous bound).
    deadline = time.monotonic() + 300
    with httpx.Client(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("hotline serve exited:\n" + log_path.read_text())
            try:
                if client.get("/login/").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(0.1)
    raise RuntimeError("hotline serve did not answer:\n" + log_path.read_text())
