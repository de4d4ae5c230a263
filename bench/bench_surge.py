"""Surge: registrations at ten times the normal rate while 1,000 agent desktops are connected,
the incident board is watched and the dashboard is read.

`hotline serve` (gunicorn, uvicorn workers, the Redis broker, PostgreSQL) on the demo province
with a 福州 water-cut incident. During `--minutes`:
- every city center's agent registers demands through the API (bearer token, as a desk or a
  sub-center's system does) at `--rate` a second in all (open loop: each request leaves at its
  time whatever the earlier ones are doing, so a slow server cannot hide its slowness), half of
  福州's about the incident;
- `--agents` agent desktops spread over the city centers hold their stream open (their own and
  their center's desk topics, as the banner opens them);
- `--boards` incident managers' pages fetch the incident board every 15 s (as board.js does);
- `--readers` analysts read the province dashboard's four panels every `--read-every` seconds
  (heavy reads; 0 reads without a pause).
Prints the registrations' latency percentiles (overall and per minute), the errors, what the
streams and readers saw, and the machine's load.

    .venv/bin/python bench/bench_surge.py [--rate 10] [--minutes 10] [--agents 1000]
        [--boards 20] [--readers 2] [--read-every 5]
"""

import argparse
import asyncio
import collections
import contextlib
import json
import os
import time

import httpx
from common import (
    close_streams,
    hotline_served,
    live_database,
    login_session,
    machine_cpu,
    open_streams,
    percentile,
)

PANELS = ["today", "top", "satisfaction", "warnings"]


def build(agents: int, boards: int, readers: int):
    """The demo province, a 福州 incident, per city center an agent with a token, `agents`
    desktop agents, the incident's manager and `readers` province analysts."""
    from hotline.incidents import services
    from hotline.orgs.models import Membership, Region, Role, Unit, User
    from hotline.orgs.services import issue_token
    from hotline.realtime.topics import desktop_topics
    from hotline.tickets import demo

    demo.build(tickets=2000)
    centers = list(Unit.objects.filter(kind="center", level="city").select_related("region"))
    senders = []
    for c in centers:
        user = User.objects.create(username=f"surge_{c.code}", full_name=f"{c.name}话务员")
        Membership.objects.create(user=user, unit=c, role=Role.AGENT)
        district = Region.objects.filter(parent=c.region).order_by("code").first() or c.region
        _, key = issue_token(user=user, name="surge")
        senders.append((c.region.code, district.code, district.name, key))
    fz = next(c for c in centers if c.region.code == "350100")
    manager = User.objects.create(username="surge_fz_admin", full_name="福州管理员")
    Membership.objects.create(user=manager, unit=fz, role=Role.ADMIN)
    incident = services.declare(
        by=manager,
        name="福州城区停水",
        regions=["350100"],
        keywords=["停水", "没水"],
        examples=["家里突然停水了，什么时候恢复供水"],
    )
    users = User.objects.bulk_create(
        User(username=f"surge_agent{i:04d}", full_name=f"话务员{i:04d}") for i in range(agents)
    )
    Membership.objects.bulk_create(
        Membership(user=u, unit=centers[i % len(centers)], role=Role.AGENT)
        for i, u in enumerate(users)
    )
    desks = [(login_session(u), [("topic", t) for t in desktop_topics(u)]) for u in users]
    province = Unit.objects.get(code="350000-center")
    analysts = []
    for i in range(readers):
        a = User.objects.create(username=f"surge_analyst{i}", full_name=f"分析员{i}")
        Membership.objects.create(user=a, unit=province, role=Role.ANALYST)
        analysts.append(login_session(a))
    return incident, senders, desks, login_session(manager), analysts


def body(n: int, sender) -> bytes:
    city, district, place, _ = sender
    about_incident = city == "350100" and n % 2 == 0
    title = "家里突然停水了" if about_incident else "小区电梯故障停运"
    content = (
        f"{place}某小区从今天上午开始停水，到现在没水，请问什么时候恢复供水？（第{n}号）"
        if about_incident
        else f"{place}某小区3号楼电梯停运两周，物业不修，老人上下楼困难。（第{n}号）"
    )
    return json.dumps(
        {
            "channel": "phone", "appeal_type": "consult" if about_incident else "complaint",
            "urgency": "normal", "title": title, "content": content, "citizen_name": "张三",
            "citizen_phone": f"138{n:08d}", "region": district,
            "address": f"{place}某小区3号楼", "external_ref": f"surge-{os.getpid()}-{n}",
        },
        ensure_ascii=False,
    ).encode()  # fmt: skip


async def register(client, n, sender, start, results):
    headers = {"Authorization": f"Bearer {sender[3]}", "Content-Type": "application/json"}
    t = time.perf_counter()
    try:
        r = await client.post("/api/v1/tickets", content=body(n, sender), headers=headers)
        status = r.status_code
    except httpx.HTTPError as e:
        status = type(e).__name__
    results.append((t - start, time.perf_counter() - t, status))


async def registrations(client, senders, rate, seconds, results):
    start = time.perf_counter()
    tasks, n = [], 0
    while (due := n / rate) < seconds:
        await asyncio.sleep(max(0.0, start + due - time.perf_counter()))
        tasks.append(
            asyncio.create_task(register(client, n, senders[n % len(senders)], start, results))
        )
        n += 1
    await asyncio.gather(*tasks)


async def watch_board(client, cookie, incident_pk, stop, seen):
    while not stop.is_set():
        t = time.perf_counter()
        r = await client.get(f"/api/v1/incidents/{incident_pk}/board", headers={"Cookie": cookie})
        seen.append((time.perf_counter() - t, r.status_code))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=15)


async def read_dashboard(client, cookie, every, stop, seen):
    while not stop.is_set():
        for panel in PANELS:
            t = time.perf_counter()
            r = await client.get(
                f"/api/v1/dashboard/{panel}", params={"region": "350000"},
                headers={"Cookie": cookie},
            )  # fmt: skip
            seen.append((time.perf_counter() - t, r.status_code))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def run(base, args, incident_pk, senders, desks, manager, analysts, cookie_name):
    pushed = collections.Counter()
    streams = [
        (f"{cookie_name}={key}", params, lambda m, i=i: pushed.update([i]))
        for i, (key, params) in enumerate(desks)
    ]
    timeout = httpx.Timeout(60.0, read=None)
    limits = httpx.Limits(max_connections=len(streams) + 10, max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as desk_client,
        httpx.AsyncClient(base_url=base, timeout=60.0) as api,
        httpx.AsyncClient(base_url=base, timeout=120.0) as readers,
    ):
        tasks, connect_s = await open_streams(desk_client, streams)
        stop = asyncio.Event()
        boards, reads, results = [], [], []
        side = [
            asyncio.create_task(watch_board(readers, f"{cookie_name}={manager}", incident_pk,
                                            stop, boards))
            for _ in range(args.boards)
        ] + [
            asyncio.create_task(read_dashboard(readers, f"{cookie_name}={a}", args.read_every,
                                               stop, reads))
            for a in analysts
        ]  # fmt: skip
        busy0 = machine_cpu()
        await registrations(api, senders, args.rate, args.minutes * 60, results)
        busy1 = machine_cpu()
        stop.set()
        await asyncio.gather(*side)
        alive = sum(not t.done() for t in tasks)
        await close_streams(tasks)
    cpu = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    return connect_s, results, boards, reads, alive, pushed, cpu


def ms(values, p) -> str:
    return f"{percentile([v * 1000 for v in values], p):,.0f}" if values else "—"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=10.0, help="registrations a second, all cities")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--agents", type=int, default=1000, help="connected agent desktops")
    ap.add_argument("--boards", type=int, default=20, help="incident board pages open")
    ap.add_argument("--readers", type=int, default=2, help="dashboard readers")
    ap.add_argument(
        "--read-every",
        type=float,
        default=5.0,
        help="seconds between a reader's rounds of the four panels (0: no pause)",
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8768)
    args = ap.parse_args()
    url, secret_key = live_database("hotline_bench_surge")
    from django.conf import settings

    t = time.perf_counter()
    incident, senders, desks, manager, analysts = build(args.agents, args.boards, args.readers)
    print(f"set-up              demo province, {len(senders)} city centers registering, "
          f"{args.agents} desktops ({time.perf_counter() - t:.0f} s)")  # fmt: skip
    load0 = os.getloadavg()[0]
    with hotline_served(url, args.port, args.workers, secret_key) as (base, _):
        connect_s, results, boards, reads, alive, pushed, cpu = asyncio.run(
            run(base, args, incident.pk, senders, desks, manager, analysts,
                settings.SESSION_COOKIE_NAME)
        )  # fmt: skip
    ok = [d for _, d, s in results if s == 201]
    errors = collections.Counter(s for _, _, s in results if s != 201)
    print(f"server              hotline serve: {args.workers} uvicorn workers, Redis, PostgreSQL")
    print(f"desktops            {args.agents} streams open in {connect_s:.1f} s; still open at "
          f"the end {alive}; {sum(pushed.values()):,} messages pushed to "
          f"{len(pushed)} of them")  # fmt: skip
    print(f"registrations       {len(results):,} sent at {args.rate:g}/s "
          f"({args.rate * 60:,.0f}/min) for {args.minutes:g} min; 201: {len(ok):,}; "
          f"errors: {dict(errors) or 0}")  # fmt: skip
    print(f"  latency ms        p50 {ms(ok, 50)}  p95 {ms(ok, 95)}  p99 {ms(ok, 99)}  "
          f"max {ms(ok, 100)}  (target p99 ≤ 200, no errors)")  # fmt: skip
    by_minute = collections.defaultdict(list)
    for at, d, s in results:
        if s == 201:
            by_minute[int(at // 60)].append(d)
    print("  p99 per minute    " + "  ".join(ms(v, 99) for _, v in sorted(by_minute.items())))
    print(
        f"incident board      {len(boards)} reads by {args.boards} pages, p95 "
        f"{ms([d for d, _ in boards], 95)} ms, non-200 {sum(s != 200 for _, s in boards)}"
    )
    print(
        f"dashboard readers   {len(reads)} panel reads by {args.readers}, p50 "
        f"{ms([d for d, _ in reads], 50)} ms, non-200 {sum(s != 200 for _, s in reads)}"
    )
    print(f"machine             {cpu:.0%} of the cores busy during the surge; load average "
          f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after")  # fmt: skip


if __name__ == "__main__":
    main()
