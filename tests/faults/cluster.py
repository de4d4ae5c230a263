"""A throwaway PostgreSQL cluster in a temporary folder, to crash without harming anyone.

The shared server on 127.0.0.1:5432 serves every other test run on this machine; the fault
tests start their own cluster with Debian's initdb and pg_ctl, stop it in immediate mode (what
a crash or a power cut leaves: no checkpoint, recovery from the WAL at the next start) and start
it again. As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pg_bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def require_pg_bindir() -> Path:
    """The server binaries; with CI=true their absence fails the run, elsewhere it skips."""
    found = pg_bindir()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL server binaries (postgresql-15) are not installed")
        pytest.skip("PostgreSQL server binaries are not installed")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """initdb'd in `folder`, listening on 127.0.0.1:`port` with trust authentication."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self._as = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args, check=True):
        return subprocess.run([*self._as, *args], check=check, capture_output=True, text=True)

    def init(self) -> "Cluster":
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder}'\nmax_connections = 60\n"
                "shared_buffers = 64MB\n"
            )
        return self

    def start(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-w", "-t", "60", "start")  # fmt: skip

    def crash(self) -> None:
        """Immediate stop: every backend is killed, no checkpoint; the next start recovers."""
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
        )

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop",
                  check=False)  # fmt: skip

    def url(self, database: str = "hotline") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def createdb(self, name: str) -> str:
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", name)  # fmt: skip
        return self.url(name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def hotline(url: str, *args, env=None, timeout=600) -> str:
    """Run `hotline …` against `url`; returns its output, fails the test on an error."""
    done = subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "HOTLINE_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


SETUP = """
from hotline.tickets import demo
from hotline.orgs.models import User
from hotline.orgs.services import issue_token
demo.build(tickets=0)
print(issue_token(user=User.objects.get(username="fz_agent"), name="faults")[1])
"""


def prepare(url: str, var_dir: Path) -> str:
    """Migrate, build the demo province without tickets; returns an API key of fz_agent."""
    env = {"HOTLINE_VAR_DIR": str(var_dir)}
    hotline(url, "migrate", "--noinput", env=env)
    return hotline(url, "shell", "-c", SETUP, env=env).strip().splitlines()[-1]


def serve(url: str, var_dir: Path, workers: int = 2):
    """gunicorn on a free port against `url`; returns (process, base url) once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "hotline.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--graceful-timeout",
            "2",
            # A worker that imports the app on a busy 2-core machine may take longer than
            # gunicorn's default 30 s to boot; the master would kill it again and again.
            "--timeout",
            "180",
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_VAR_DIR": str(var_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])


def gunicorn_workers(master_pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)],
                         capture_output=True, text=True).stdout  # fmt: skip
    return [int(x) for x in out.split()]
