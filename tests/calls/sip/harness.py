"""A real telephony stack for the tests: Kamailio (deploy/kamailio/kamailio.cfg), agents' and
citizens' phones (sipp scenarios answering), a softphone (baresip) for click-to-dial, and sipp
placing citizens' calls. Everything listens on 127.0.0.1, on ports chosen free, and writes
only into one temporary folder; `SipStack.stop()` ends every process it started.

Nothing here knows the product's models: the fixtures (fixtures.py) pass in the CTI URL and
the platform's code and secret, and read the calls back from the database.
"""

import json
import os
import random
import signal
import socket
import subprocess
import time
import urllib.request
import wave
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KAMAILIO_CFG = ROOT / "deploy" / "kamailio" / "kamailio.cfg"
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
# Debian's multiarch folder (x86_64-linux-gnu, aarch64-linux-gnu, ...), Kamailio's default.
MODULES = next(iter(sorted(Path("/usr/lib").glob("*/kamailio/modules"))), Path("/nonexistent"))
# The Debian packages each needed file comes from (`make telephony` installs them).
NEEDED = {
    "/usr/sbin/kamailio": "kamailio",
    str(MODULES / "jsonrpcs.so"): "kamailio",
    str(MODULES / "http_client.so"): "kamailio-utils-modules",
    str(MODULES / "jansson.so"): "kamailio-extra-modules",
    str(MODULES / "crypto.so"): "kamailio-tls-modules",
    "/usr/bin/sipp": "sip-tester",
    "/usr/bin/baresip": "baresip",
}
HOST = "127.0.0.1"
HOTLINE_NUMBER = "12345"
QUEUE_CODE = "hotline"


def missing_tools() -> list[str]:
    """The needed files that are not installed, each with its Debian package."""
    return [f"{path} ({pkg})" for path, pkg in NEEDED.items() if not Path(path).exists()]


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((HOST, port))
            except OSError:
                return False
    return True


_GIVEN: set[int] = set()


def free_port(span: int = 1) -> int:
    """A port, and the span - 1 after it, free for both UDP and TCP on 127.0.0.1 (SIP, RPC and
    baresip use either; baresip also opens SIP over TLS on its port + 1, hence span 2).

    Drawn below the kernel's ephemeral range: a port the kernel handed out for bind(0) could be
    taken as the source port of some outgoing connection before the tool binds it (seen in CI:
    baresip's TLS port + 1 "Address already in use")."""
    low = _ephemeral_low()
    draw = random.SystemRandom()
    for _ in range(200):
        port = draw.randrange(max(1024, low - 12000), low - span)
        ports = range(port, port + span)
        # Not yet bound is not enough: a port handed out earlier may not be bound yet either.
        if not _GIVEN.intersection(ports) and all(_bindable(p) for p in ports):
            _GIVEN.update(ports)
            return port
    raise RuntimeError("no free port on 127.0.0.1")


def udp_bound(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return True
        return False


def wait_for(predicate, *, timeout: float = 60.0, what: str = "condition", interval=0.1):
    """Poll `predicate` until it returns something true; its value, or TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Proc:
    """A child process with its output in a log file, stopped politely then firmly."""

    name: str
    args: list
    log: Path
    cwd: Path
    popen: subprocess.Popen | None = None

    def start(self) -> "Proc":
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                self.args,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def check_alive(self) -> bool:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
        return True

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if not self.alive():
            return
        # Kamailio forks its workers into the same process group: end the group we made.
        pgid = os.getpgid(self.popen.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.popen.wait(timeout=10)


def rpc(url: str, method: str, *params, timeout: float = 5.0):
    """One JSON-RPC 2.0 call to Kamailio's /RPC; the result, or RuntimeError with its error."""
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
    req = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (loopback only)
        answer = json.loads(resp.read() or b"{}")
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer.get("result")


def _silence_wav(path: Path) -> None:
    # baresip plays ringing and received audio into files; it needs one to open.
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)


@dataclass
class SipStack:
    """Kamailio with its agents' phones, the citizens' phones behind the gateway and one
    softphone; `cti_url`, `platform` and `secret` say where and how it reports events."""

    workdir: Path
    cti_url: str
    platform: str
    secret: str
    agent_seats: tuple = ("1001", "1002")
    softphone_seat: str = "1003"
    sip_port: int = 0
    rpc_port: int = 0
    gateway_port: int = 0
    agent_ports: dict = field(default_factory=dict)
    softphone_port: int = 0
    softphone_ctrl_port: int = 0
    procs: list = field(default_factory=list)

    @property
    def rpc_url(self) -> str:
        return f"http://{HOST}:{self.rpc_port}/RPC"

    @property
    def dial_url(self) -> str:
        """What the product's CallPlatform.dial_url is set to (platforms/kamailio.py)."""
        return f"{self.rpc_url}?sip={HOST}:{self.sip_port}"

    def _proc(self, name: str, args: list) -> Proc:
        proc = Proc(name, args, self.workdir / f"{name}.log", self.workdir).start()
        self.procs.append(proc)
        return proc

    def start(self) -> "SipStack":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sip_port, self.rpc_port, self.gateway_port = free_port(), free_port(), free_port()
        self.agent_ports = {seat: free_port() for seat in self.agent_seats}
        self.softphone_port, self.softphone_ctrl_port = free_port(span=2), free_port()
        try:
            for seat, port in self.agent_ports.items():
                self._answering_phone(f"agent-{seat}", port)
            self._answering_phone("citizens", self.gateway_port)
            self._kamailio()
            self._softphone()
        except BaseException:
            self.stop()
            raise
        return self

    def _answering_phone(self, name: str, port: int) -> None:
        proc = self._proc(
            name,
            ["sipp", "-sf", str(SCENARIOS / "answering_phone.xml"), "-i", HOST, "-p", str(port)]
            + ["-nostdin", "-trace_err", "-error_file", str(self.workdir / f"{name}.err")],
        )
        wait_for(lambda: proc.check_alive() and udp_bound(port), timeout=30, what=name)

    def _kamailio(self) -> None:
        agents = self.workdir / "agents.list"
        agents.write_text(
            "".join(
                f"1 sip:{HOST}:{port} 0 0 seat={seat}\n" for seat, port in self.agent_ports.items()
            )
        )
        defines = {
            "SIP_IP": HOST,
            "SIP_PORT": str(self.sip_port),
            "RPC_PORT": str(self.rpc_port),
            "HOTLINE_NUMBER": f'"{HOTLINE_NUMBER}"',
            "QUEUE_CODE": f'"{QUEUE_CODE}"',
            "AGENTS_LIST": f'"{agents}"',
            "GATEWAY": f'"sip:{HOST}:{self.gateway_port}"',
            "BRIDGE_URI": f'"sip:ctd@{HOST}:{self.sip_port}"',
            "CTI_URL": f'"{self.cti_url}"',
            "CTI_PLATFORM": f'"{self.platform}"',
            "CTI_SECRET": f'"{self.secret}"',
            "CHILDREN": "2",
        }
        args = ["kamailio", "-f", str(KAMAILIO_CFG), "-DD", "-E", "-m", "64", "-M", "8"]
        args += ["-Y", str(self.workdir), "-P", str(self.workdir / "kamailio.pid")]
        for name, value in defines.items():
            args += ["-A", f"{name}={value}"]
        proc = self._proc("kamailio", args)

        def answers():
            proc.check_alive()
            try:
                return rpc(self.rpc_url, "core.version", timeout=1)
            except OSError:
                return None

        wait_for(answers, timeout=30, what="Kamailio's JSON-RPC")

    def _softphone(self) -> None:
        home = self.workdir / "baresip"
        home.mkdir(exist_ok=True)
        _silence_wav(home / "silence.wav")
        # ausine gives 48 kHz stereo only; baresip resamples to the 8 kHz G.711 of the call.
        (home / "config").write_text(
            f"""poll_method\tepoll
sip_listen\t{HOST}:{self.softphone_port}
sip_trans_def\tudp
net_interface\t{HOST}
audio_player\taufile,{home / "received.wav"}
audio_alert\taufile,{home / "alert.wav"}
audio_source\tausine,440
ausrc_srate\t48000
ausrc_channels\t2
auplay_srate\t48000
auplay_channels\t2
module_path\t/usr/lib/baresip/modules
module\tg711.so
module\tausine.so
module\taufile.so
module\taccount.so
module_app\tmenu.so
module\tctrl_tcp.so
ctrl_tcp_listen\t{HOST}:{self.softphone_ctrl_port}
"""
        )
        registrar = f"{HOST}:{self.sip_port}"
        # Auto-answer: the product's click-to-dial rings the agent's own phone first.
        (home / "accounts").write_text(
            f'<sip:{self.softphone_seat}@{registrar}>;regint=600;answermode=auto;outbound="sip:{registrar}"\n'
        )
        proc = self._proc("baresip", ["baresip", "-f", str(home)])
        wait_for(
            lambda: proc.check_alive() and self.registered(self.softphone_seat),
            timeout=30,
            what="baresip's registration",
        )

    def set_secret(self, secret: str) -> None:
        """Sign from now on with `secret` (a platform created, or its secret rotated)."""
        rpc(self.rpc_url, "pv.shvSet", "cti_secret", "str", secret)
        self.secret = secret

    def registered(self, seat: str) -> bool:
        try:
            rpc(self.rpc_url, "ul.lookup", "location", seat, timeout=2)
        except (RuntimeError, OSError):
            return False
        return True

    def softphone_command(self, command: str, params: str = "") -> dict:
        """A command to baresip over ctrl_tcp (netstring-framed JSON), e.g. "hangup"; its
        response (baresip may send events on the same connection first)."""
        payload = json.dumps({"command": command, "params": params, "token": "t"}).encode()
        with socket.create_connection((HOST, self.softphone_ctrl_port), timeout=10) as s:
            s.sendall(str(len(payload)).encode() + b":" + payload + b",")
            data = b""
            while True:
                while b":" in data:
                    size, _, rest = data.partition(b":")
                    if len(rest) < int(size) + 1:
                        break
                    message = json.loads(rest[: int(size)])
                    data = rest[int(size) + 1 :]
                    if message.get("response"):
                        return message
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError(f"baresip closed the control connection: {data!r}")
                data += chunk

    def citizens_call(
        self,
        scenario: str,
        *,
        caller_prefix: str,
        calls: int = 1,
        rate: float = 1,
        pause_ms: int = 1000,
        timeout: int = 90,
    ) -> subprocess.CompletedProcess:
        """Place `calls` citizens' calls (a sipp UAC scenario) to the hotline and wait for
        them all; the n-th caller's number is caller_prefix + n (n from 1)."""
        name = f"{Path(scenario).stem}-{caller_prefix}"
        port = free_port()
        args = ["sipp", "-sf", str(SCENARIOS / scenario), f"{HOST}:{self.sip_port}"]
        args += ["-i", HOST, "-p", str(port), "-s", HOTLINE_NUMBER]
        args += ["-key", "caller", caller_prefix, "-d", str(pause_ms)]
        args += ["-m", str(calls), "-r", str(rate), "-l", str(max(calls, 1))]
        args += ["-timeout", f"{timeout}s", "-timeout_error", "-nostdin"]
        args += ["-trace_err", "-error_file", str(self.workdir / f"{name}.err")]
        args += ["-trace_stat", "-stf", str(self.workdir / f"{name}.csv")]
        with open(self.workdir / f"{name}.log", "ab") as out:
            return subprocess.run(
                args,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout + 30,
                check=False,
            )

    def logs(self) -> str:
        """The last lines of every process's log, for a failing test's message."""
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.procs)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()
