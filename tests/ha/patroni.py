"""A three-member Patroni cluster with one etcd on this machine, in a temporary folder.

The same layout as deploy/patroni/ across three machines, squeezed onto one: each member has
its own PostgreSQL port, Patroni REST port and data directory; etcd is the one DCS. Nothing
touches the shared server on 127.0.0.1:5432. As root, Patroni and PostgreSQL run as the
`postgres` user (PostgreSQL refuses root); etcd runs as whoever starts it.

`python -m tests.ha.patroni start|stop FOLDER` (scripts/ha/) keeps one running for a developer.
"""

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.faults.cluster import free_port, pg_bindir

MEMBERS = 3
# Failover timing. The leader key lives TTL seconds in etcd after the leader's last renewal;
# loop_wait is how often each Patroni looks. ttl >= loop_wait + 2 * retry_timeout (Patroni's
# rule), and ttl bounds how long writes stop when a leader machine dies.
TTL, LOOP_WAIT, RETRY_TIMEOUT = 10, 1, 3

MEMBER_YAML = """\
scope: hotline
name: {name}
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:{rest}
  connect_address: 127.0.0.1:{rest}
etcd3:
  hosts: 127.0.0.1:{etcd}
bootstrap:
  dcs:
    ttl: {ttl}
    loop_wait: {loop_wait}
    retry_timeout: {retry_timeout}
    maximum_lag_on_failover: 1048576
    # An acknowledged commit is on the leader and on the synchronous standby; only a
    # synchronous standby may be promoted, so no acknowledged transaction is lost.
    synchronous_mode: true
    synchronous_node_count: 1
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 80
        shared_buffers: 64MB
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        fsync: "on"
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{port}
  connect_address: 127.0.0.1:{port}
  data_dir: {data}
  bin_dir: {bindir}
  pgpass: {folder}/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: postgres
  parameters:
    unix_socket_directories: "{folder}"
tags:
  nofailover: false
  noloadbalance: false
"""


def _logfile(path: Path):
    # Handed to a child process that outlives this call: no `with`.
    return open(path, "ab")  # noqa: SIM115


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


class Member:
    def __init__(self, root: Path, name: str):
        self.name = name
        self.folder = root / name
        self.port, self.rest = free_port(), free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def config(self) -> Path:
        return self.folder / "patroni.yml"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


class PatroniCluster:
    """etcd plus three Patroni members; `url()` is the application's multi-host URL."""

    def __init__(self, folder: Path | None = None):
        self.bindir = pg_bindir()
        self.patroni = shutil.which("patroni")
        self.etcd_bin = shutil.which("etcd")
        self.folder = Path(folder or tempfile.mkdtemp(prefix="hotline-ha-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.etcd_port, self.etcd_peer = free_port(), free_port()
        self.members = [Member(self.folder, f"pg{i + 1}") for i in range(MEMBERS)]
        self.etcd: subprocess.Popen | None = None
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            self._uid, self._gid = user.pw_uid, user.pw_gid
            self._as = ["runuser", "-u", "postgres", "--"]
            os.chmod(self.folder, 0o755)  # mkdtemp's 0700 would keep the postgres user out

    def missing(self) -> list[str]:
        """What this machine lacks to run the cluster (Debian packages)."""
        need = {"patroni": self.patroni, "etcd-server": self.etcd_bin, "postgresql": self.bindir}
        return [name for name, found in need.items() if not found]

    # ---- start and stop ------------------------------------------------------------------

    def start(self, timeout: float = 120) -> "PatroniCluster":
        data = self.folder / "etcd"
        self.etcd = subprocess.Popen(
            [
                self.etcd_bin,
                "--name",
                "etcd1",
                "--data-dir",
                str(data),
                "--listen-client-urls",
                f"http://127.0.0.1:{self.etcd_port}",
                "--advertise-client-urls",
                f"http://127.0.0.1:{self.etcd_port}",
                "--listen-peer-urls",
                f"http://127.0.0.1:{self.etcd_peer}",
                "--initial-advertise-peer-urls",
                f"http://127.0.0.1:{self.etcd_peer}",
                "--initial-cluster",
                f"etcd1=http://127.0.0.1:{self.etcd_peer}",
                "--enable-v2=false",
                "--log-level",
                "warn",
            ],  # fmt: skip
            stdout=_logfile(self.folder / "etcd.log"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait(lambda: self._get(f"http://127.0.0.1:{self.etcd_port}/health"), 30, "etcd")
        for m in self.members:
            self._write_config(m)
        self.members[0].proc = self._start_member(self.members[0])
        # The first member bootstraps alone (initdb); the others then clone it.
        self._wait(lambda: self.leader() is not None, timeout, "the first leader")
        for m in self.members[1:]:
            m.proc = self._start_member(m)
        self.wait_healthy(timeout)
        return self

    def _write_config(self, m: Member) -> None:
        m.folder.mkdir(parents=True, exist_ok=True)
        m.config.write_text(
            MEMBER_YAML.format(
                name=m.name,
                rest=m.rest,
                etcd=self.etcd_port,
                port=m.port,
                ttl=TTL,
                loop_wait=LOOP_WAIT,
                retry_timeout=RETRY_TIMEOUT,
                data=m.folder / "data",
                bindir=self.bindir,
                folder=m.folder,
            )  # fmt: skip
        )
        if self._as:
            for path in (m.folder, m.config):
                os.chown(path, self._uid, self._gid)
            os.chmod(m.folder, 0o700)

    def _start_member(self, m: Member) -> subprocess.Popen:
        return subprocess.Popen(
            [*self._as, self.patroni, str(m.config)],
            stdout=_logfile(m.folder / "patroni.log"),
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            start_new_session=True,  # its own process group: a kill reaches only this member
        )

    def stop(self) -> None:
        for m in self.members:
            if m.proc and m.proc.poll() is None:
                m.proc.send_signal(signal.SIGTERM)
        for m in self.members:
            if m.proc:
                try:
                    m.proc.wait(30)
                except subprocess.TimeoutExpired:
                    m.proc.kill()
            pid = m.postmaster_pid()  # a postgres that outlived its Patroni
            if pid:
                subprocess.run([*self._as, str(self.bindir / "pg_ctl"), "-D",
                                str(m.folder / "data"), "-m", "immediate", "stop"],
                               capture_output=True)  # fmt: skip
        if self.etcd and self.etcd.poll() is None:
            self.etcd.terminate()
            self.etcd.wait(30)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---- state ---------------------------------------------------------------------------

    def _get(self, url: str):
        with urllib.request.urlopen(url, timeout=2) as r:
            return json.loads(r.read() or b"{}")

    def members_state(self) -> list[dict]:
        """Patroni's view of the cluster (GET /cluster of any member that answers)."""
        for m in self.members:
            try:
                return self._get(f"http://127.0.0.1:{m.rest}/cluster")["members"]
            except (OSError, ValueError, KeyError):
                continue
        return []

    def member(self, name: str) -> Member:
        return next(m for m in self.members if m.name == name)

    def leader(self) -> Member | None:
        for s in self.members_state():
            if s["role"] == "leader" and s["state"] == "running":
                return self.member(s["name"])
        return None

    def sync_standbys(self) -> list[Member]:
        return [
            self.member(s["name"])
            for s in self.members_state()
            if s["role"] == "sync_standby" and s["state"] in ("running", "streaming")
        ]

    def replicas(self) -> list[Member]:
        return [
            self.member(s["name"])
            for s in self.members_state()
            if s["role"] in ("replica", "sync_standby") and s["state"] in ("running", "streaming")
        ]

    def wait_healthy(self, timeout: float = 120) -> None:
        """A leader, a synchronous standby, and every other member streaming."""
        self._wait(
            lambda: self.leader() and self.sync_standbys()
            and len(self.replicas()) == MEMBERS - 1,
            timeout, "a leader with a synchronous standby and two replicas",
        )  # fmt: skip

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [m.name for m in self.members if m.proc and m.proc.poll() is not None]
            if dead:
                raise RuntimeError(f"patroni {dead} exited; logs in {self.folder}")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"timed out waiting for {what}; logs in {self.folder}")

    # ---- faults --------------------------------------------------------------------------

    def kill(self, m: Member) -> None:
        """SIGKILL the member's Patroni, its postmaster and every backend: a machine that died."""
        # runuser forks: Patroni is its child, the postmaster Patroni's, the backends the
        # postmaster's. Every descendant goes, or Patroni would restart PostgreSQL.
        roots = [m.proc.pid] if m.proc else []
        postmaster = m.postmaster_pid()
        if postmaster:
            roots.append(postmaster)
        victims: list[int] = []
        while roots:
            pid = roots.pop()
            if pid in victims:
                continue
            victims.append(pid)
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)],
                                 capture_output=True, text=True).stdout  # fmt: skip
            roots += [int(p) for p in out.split()]
        for pid in victims:
            _signal(pid, signal.SIGKILL)
        if m.proc:
            m.proc.wait(10)

    # ---- addresses -----------------------------------------------------------------------

    def url(self, database: str = "hotline", attrs: str = "read-write") -> str:
        """libpq multi-host URL: every member; libpq connects to the one that accepts writes."""
        hosts = ",".join(f"127.0.0.1:{m.port}" for m in self.members)
        return (
            f"postgres://postgres@{hosts}/{database}?target_session_attrs={attrs}&connect_timeout=3"
        )

    def member_url(self, m: Member, database: str = "hotline") -> str:
        return f"postgres://postgres@127.0.0.1:{m.port}/{database}"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.ha.patroni start|stop FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[1])
    if argv[0] == "start":
        cluster = PatroniCluster(folder)
        if cluster.missing():
            print("missing: " + ", ".join(cluster.missing()), file=sys.stderr)
            return 1
        cluster.start()
        state = {"etcd": cluster.etcd.pid, "members": {}}
        for m in cluster.members:
            state["members"][m.name] = {"pid": m.proc.pid, "port": m.port, "rest": m.rest}
        (folder / "state.json").write_text(json.dumps(state, indent=2))
        print(cluster.url())
        return 0
    state = json.loads((folder / "state.json").read_text())
    for member in state["members"].values():
        _signal(member["pid"], signal.SIGTERM)
    time.sleep(5)  # Patroni stops its PostgreSQL and gives up the leader key first
    _signal(state["etcd"], signal.SIGTERM)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
