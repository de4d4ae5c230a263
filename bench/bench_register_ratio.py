"""Registration at the stack's limit: the product's API registration beside the floor.

    .venv/bin/python bench/bench_register_ratio.py [--duration 15] [--rounds 2] [--same-caller]

The floor (bench/floor/) is a bare Django + django-ninja + psycopg endpoint that inserts a
numbered ticket, its event and its outbox row in one transaction. Both are served by gunicorn
with 4 sync workers on fresh PostgreSQL databases and driven by wrk with 16 connections and the
same request bodies, one after the other in alternating rounds of this one run; the ratio is
the product's requests/s over the floor's (medians of the rounds).

The bodies: by default demands as real traffic has them, from the demo's own generator
(hotline.tickets.synthetic: 17 kinds of demand at random places in 福州's counties, estates,
roads and figures; a different caller each, and one in 20 a caller ringing again with the
same demand). Many are near-duplicates of each other (a handful of kinds), so the duplicate
lookup still meets full buckets, but only a caller ringing again makes a repeat. Every request
of a run gets a body of its own. `--same-caller` sends the earlier bodies instead (one caller,
one text, the title numbered: every registration after the second is a repeat complaint),
a pessimistic mix kept for comparison with the figures recorded before 2026-12-06 20:30.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from bench_api_register import LUA as SAME_CALLER_LUA
from common import BIN, ROOT, fresh_database, process_cpu_seconds, serve, setup_django

FLOOR_DIR = ROOT / "bench"
# On a machine loaded many times over, a worker's first request (the URL configuration and the
# API's schemas) took longer than gunicorn's 30 s and the worker was killed again and again.
SLOW_MACHINE = ["--timeout", "300"]

# Each request takes the next body of the list (wrk's threads interleaved), from an offset that
# the script moves on after each run, so that no body is sent twice to one server.
VARIED_LUA = r"""
local counter = 0
local id = 0
function setup(thread) id = id + 1; thread:set("tid", id) end
function init(args) me = tid; token = args[1]; run = args[2]; offset = tonumber(args[3]) end
function request()
  local i = (offset + counter * 2 + me - 1) % #BODIES + 1
  counter = counter + 1
  local body = string.format(BODIES[i], run .. "-" .. me .. "-" .. counter)
  return wrk.format("POST", "/api/v1/tickets",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"""


def varied_bodies(n: int, seed: int = 2026) -> list[str]:
    """`n` JSON bodies (the external reference left as `%s` for wrk to fill): synthetic demands
    in 福州's counties, one caller each; one in 20 repeats an earlier body's caller and text (a
    caller ringing again: three such make a repeat complaint)."""
    from hotline.orgs.models import Region
    from hotline.tickets.synthetic import TEMPLATES, demand_text, person

    rng = random.Random(seed)
    counties = list(Region.objects.filter(level="county", code__startswith="3501"))
    demands: list[dict] = []
    for _ in range(n):
        if len(demands) > 20 and rng.random() < 0.05:
            demands.append(rng.choice(demands[-2000:]))
            continue
        template = rng.choice(TEMPLATES)
        county = rng.choice(counties)
        name, phone = person(rng)
        title, content, address = demand_text(rng, template, county.name)
        demands.append({"channel": "phone", "appeal_type": template.appeal_type,
                        "urgency": "normal", "title": title, "content": content,
                        "citizen_name": name, "citizen_phone": phone, "region": county.code,
                        "address": address, "external_ref": "ratio-@REF@"})  # fmt: skip
    out = []
    for d in demands:
        text = json.dumps(d, ensure_ascii=False).replace("%", "%%").replace("@REF@", "%s")
        out.append(text)
    return out


def varied_lua(bodies: list[str]) -> str:
    # Lua long brackets hold the JSON as it is (no escaping); the level is one the text lacks.
    rows = ",\n".join(f"[==[{b}]==]" for b in bodies)
    return f"BODIES = {{\n{rows}\n}}\n" + VARIED_LUA


def serve_floor(url: str, port: int, workers: int):
    # The floor's own settings, whatever this process set up for the product: with
    # DJANGO_SETTINGS_MODULE=hotline.settings inherited, floor.wsgi served the product on the
    # product's database (the "floor" matched the product, and no backend of the floor's
    # database ever showed).
    env = {**os.environ, "FLOOR_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "floor.settings"}
    env.pop("HOTLINE_DATABASE_URL", None)
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "floor.wsgi:application", "--chdir", str(FLOOR_DIR),
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning",
         *SLOW_MACHINE],
        env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the floor did not start")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def _backends(database: str) -> list[int]:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        return [r[0] for r in rows]


class CpuMeter:
    """CPU seconds the gunicorn workers and the database's server processes spend during a
    round: on a busy machine the CPU a request costs is steadier than the requests per second.

    The processes are sampled every quarter second through the round, not only at its two
    ends: a backend that one end does not see (a connection opened or closed during the
    round, a pg_stat_activity snapshot that missed it) then still counts, from its first
    reading (0 for one born during the round) to its last. Reading the two ends only is why
    the floor's database CPU once read 0."""

    def __init__(self, master: int, database: str):
        self.master, self.database = master, database
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.stop = threading.Event()

    def sample(self, born_now: bool) -> None:
        pids = [("app", p) for p in _children(self.master)]
        pids += [("db", p) for p in _backends(self.database)]
        for key in pids:
            seconds = process_cpu_seconds(key[1])
            if seconds is None:
                continue
            self.first.setdefault(key, 0.0 if born_now else seconds)
            self.last[key] = seconds

    def __enter__(self):
        self.sample(born_now=False)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self):
        while not self.stop.wait(0.25):
            self.sample(born_now=True)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.sample(born_now=True)

    def seconds(self, kind: str) -> float:
        return sum(v - self.first[k] for k, v in self.last.items() if k[0] == kind)

    def backends_seen(self) -> int:
        return sum(1 for k in self.last if k[0] == "db")


def wrk(script: str, port: int, key: str, run: str, seconds: int, connections: int,
        offset: int = 0) -> dict:  # fmt: skip
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script,
         f"http://127.0.0.1:{port}", "--", key, run, str(offset)],
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p99": dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)).get("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def profile(key: str) -> None:
    """Every statement one registration sends, in order, with BEGIN/COMMIT marked."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    body = {"channel": "phone", "appeal_type": "complaint", "title": "小区电梯故障停运",
            "content": "鼓楼区某小区3号楼电梯停运两周，物业不修，老人上下楼困难。",
            "citizen_phone": "13800000001", "region": "350102", "external_ref": "profile-1"}  # fmt: skip
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.post("/api/v1/tickets", {**body, "external_ref": "profile-0"}, "application/json")
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/tickets", body, "application/json")
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in captured.captured_queries]
    commits = sum(1 for q in statements if q.upper().startswith(("COMMIT", "RELEASE")))
    print(f"one registration: {len(statements)} statements, {commits} commit(s)")
    for q in statements:
        print("   ", q[:110])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--bodies", type=int, default=60000, help="distinct bodies (varied mix)")
    ap.add_argument("--same-caller", action="store_true", help="the earlier one-caller bodies")
    args = ap.parse_args()
    os.environ.update(HOTLINE_API_RATE_PER_TOKEN="off", HOTLINE_API_RATE_PER_ADDRESS="off")
    product_url = fresh_database("postgres", "hotline_bench_ratio")
    floor_url = fresh_database("postgres", "hotline_bench_floor")
    import psycopg

    sys.path.insert(0, str(FLOOR_DIR))
    from floor.schema import SCHEMA

    with psycopg.connect(floor_url.replace("postgres://", "postgresql://")) as conn:
        conn.execute(SCHEMA)
    setup_django(product_url)
    from hotline.orgs.models import User
    from hotline.orgs.services import issue_token
    from hotline.tickets import demo

    demo.build(tickets=0)
    _, key = issue_token(user=User.objects.get(username="fz_agent"), name="bench")
    profile(key)

    bodies = None if args.same_caller else varied_bodies(args.bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(SAME_CALLER_LUA if bodies is None else varied_lua(bodies))
    product = serve(product_url, 8771, args.workers, SLOW_MACHINE)
    floor = serve_floor(floor_url, 8772, args.workers)
    results = {"product": [], "floor": []}
    try:
        sent = {"product": 0, "floor": 0}  # bodies used so far: the next run starts after them
        for name, port in (("product", 8771), ("floor", 8772)):  # warm every worker
            sent[name] += wrk(script.name, port, key, f"warm{name}", 3, 4)["requests"] + 64
        servers = {
            "product": (8771, product.pid, "hotline_bench_ratio"),
            "floor": (8772, floor.pid, "hotline_bench_floor"),
        }
        for r in range(args.rounds):
            for name, (port, master, database) in servers.items():
                with CpuMeter(master, database) as meter:
                    got = wrk(script.name, port, key, f"{name}{r}", args.duration,
                              args.connections, sent[name])  # fmt: skip
                sent[name] += got["requests"] + 64  # + the requests in flight at the end
                if not meter.backends_seen():
                    raise RuntimeError(f"found no database process for {name} ({database})")
                app, db = meter.seconds("app"), meter.seconds("db")
                n = max(got["requests"], 1)
                got["cpu_ms"] = (app + db) * 1000 / n
                results[name].append(got)
                print(f"round {r + 1} {name:8s} {got['rps']:8.1f} req/s  p99 {got['p99']}"
                      f"  non-2xx {got['non2xx']}  CPU/request: app "
                      f"{app * 1000 / n:.2f} ms, db {db * 1000 / n:.2f} ms",
                      flush=True)  # fmt: skip
    finally:
        for proc in (product, floor):
            proc.terminate()
            proc.wait()
    p = statistics.median(x["rps"] for x in results["product"])
    f = statistics.median(x["rps"] for x in results["floor"])
    print(f"gunicorn {args.workers} sync workers, wrk {args.connections} connections, "
          f"{args.rounds} x {args.duration} s each, PostgreSQL, bodies: "
          f"{'one caller (--same-caller)' if bodies is None else f'{len(bodies)} varied'}")  # fmt: skip
    if bodies is not None and max(sent.values()) > len(bodies):
        print(f"note: {max(sent.values())} requests for {len(bodies)} bodies: some were sent twice")
    print(f"registration {p:.1f} req/s, floor {f:.1f} req/s, ratio {p / f:.2f}")
    pc = statistics.median(x["cpu_ms"] for x in results["product"])
    fc = statistics.median(x["cpu_ms"] for x in results["floor"])
    print(f"CPU per request: registration {pc:.2f} ms, floor {fc:.2f} ms, ratio {fc / pc:.2f}")
    print(f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
