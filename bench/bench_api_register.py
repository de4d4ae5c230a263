"""Ticket registration through the API under load: gunicorn + wrk on this machine.

    .venv/bin/python bench/bench_api_register.py [--sqlite] [--duration 30] [--connections 16]

PostgreSQL by default (a fresh database `hotline_bench_api`); `--sqlite` uses a temporary
SQLite file with 8 connections. Prints requests/s, latency percentiles, errors, the number of
tickets in the database afterwards and the memory of each worker.
"""

import argparse
import re
import subprocess
import tempfile
import time

from common import fresh_database, serve, setup_django, worker_rss_mib

LUA = r"""
local counter = 0
local id = 0
function setup(thread) id = id + 1; thread:set("tid", id) end
function init(args) me = tid; token = args[1]; run = args[2] end
function request()
  counter = counter + 1
  local body = string.format(
    '{"channel":"phone","appeal_type":"complaint","urgency":"normal",' ..
    '"title":"小区电梯故障停运%d","content":"鼓楼区某小区3号楼电梯停运两周，物业不修，老人上下楼困难。",' ..
    '"citizen_name":"张三","citizen_phone":"13800000001","region":"350102",' ..
    '"address":"鼓楼区鼓东街道某小区3号楼","external_ref":"bench-%s-%d-%d"}', counter, run, me, counter)
  return wrk.format("POST", "/api/v1/tickets",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
function response(status, headers, body)
  if status ~= 201 then bad = (bad or 0) + 1 end
end
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--connections", type=int)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    connections = args.connections or (8 if args.sqlite else 16)
    url = fresh_database(None if args.sqlite else "postgres", "hotline_bench_api")
    setup_django(url)

    from hotline.orgs.models import User
    from hotline.orgs.services import issue_token
    from hotline.tickets import demo
    from hotline.tickets.models import Ticket

    demo.build(tickets=0)
    _, key = issue_token(user=User.objects.get(username="fz_agent"), name="bench")
    before = Ticket.objects.count()

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    proc = serve(url, args.port, args.workers)
    try:
        # Warm up every worker (imports, caches, connections) before measuring.
        subprocess.run(
            [
                "wrk",
                "-t2",
                "-c4",
                "-d3s",
                "-s",
                script.name,
                f"http://127.0.0.1:{args.port}",
                "--",
                key,
                "warm",
            ],
            capture_output=True,
        )
        warm = Ticket.objects.count()
        started = time.perf_counter()
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{args.duration}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{args.port}",
                "--",
                key,
                "run",
            ],
            capture_output=True,
            text=True,
        ).stdout
        elapsed = time.perf_counter() - started
        rss = worker_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    created = Ticket.objects.count() - warm
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    db = "SQLite (WAL)" if args.sqlite else "PostgreSQL"
    print(
        f"database            {db}, gunicorn {args.workers} sync workers, wrk {connections} connections"
    )
    print(f"duration            {args.duration} s (measured {elapsed:.1f} s)")
    print(f"requests/s          {rps}")
    print(f"tickets created     {created} ({created / args.duration:.0f}/s), before {before}")
    print(f"latency p50/p90/p99 {lat.get('50')} / {lat.get('90')} / {lat.get('99')}")
    print(f"non-2xx responses   {non2xx.group(1) if non2xx else 0}")
    print(f"socket errors       {sock.group(1) if sock else 'none'}")
    print(f"worker RSS (MiB)    {', '.join(f'{r:.0f}' for r in rss)}")


if __name__ == "__main__":
    main()
