"""口径 change latency: from a manager's approval to every agent desktop's stream carrying it.

`hotline serve` (gunicorn, uvicorn workers, the Redis broker, PostgreSQL) with a 福州 incident
and N 福州 agents, each with the stream its desk page's banner opens (the same URL the template
tag writes: the agent's own topic and the desks of the agent's center), as asyncio httpx
clients; M 厦门 agents, outside the incident's regions, listen the same way. For each change the
center's manager writes a new 口径 version and approves it on the incident page (session and
CSRF token, as the browser posts it); for each desktop the clock runs from the approval's
response to the moment its stream has delivered that version with its text. A 厦门 desktop that
hears any of it counts as a leak.

    .venv/bin/python bench/bench_script_change.py [--agents 1000] [--others 50] [--changes 5]
"""

import argparse
import asyncio
import contextlib
import re
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

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def build(agents: int, others: int):
    """福建省 with 福州 and 厦门 centers, `agents` 福州 agents and `others` 厦门 agents, 福州's
    manager and a running incident in 福州; returns (incident, manager's session key,
    [(session key, stream params)] of 福州, the same of 厦门)."""
    from hotline.incidents import services
    from hotline.orgs.models import Membership, Region, Role, Unit, User
    from hotline.realtime.topics import desktop_topics

    province = Region.objects.create(code="350000", name="福建省", level="province")
    centers = {}
    for code, name, abbr in (("350100", "福州市", "fz"), ("350200", "厦门市", "xm")):
        city = Region.objects.create(code=code, name=name, level="city", parent=province)
        centers[abbr] = Unit.objects.create(
            code=abbr, name=f"{name}12345热线中心", kind="center", level="city", region=city
        )
    manager = User.objects.create(username="fz_admin", full_name="福州管理员")
    Membership.objects.create(user=manager, unit=centers["fz"], role=Role.ADMIN)
    incident = services.declare(
        by=manager,
        name="福州城区停水",
        regions=["350100"],
        keywords=["停水", "没水"],
        examples=["家里突然停水了，什么时候恢复供水"],
    )

    def desktops(abbr: str, n: int):
        users = User.objects.bulk_create(
            User(username=f"{abbr}_agent{i:04d}", full_name=f"话务员{i:04d}") for i in range(n)
        )
        Membership.objects.bulk_create(
            Membership(user=u, unit=centers[abbr], role=Role.AGENT) for u in users
        )
        return [(login_session(u), [("topic", t) for t in desktop_topics(u)]) for u in users]

    return incident, login_session(manager), desktops("fz", agents), desktops("xm", others)


class Desktops:
    """What each desktop's stream delivered: `arrived[version][desktop]` = when."""

    def __init__(self):
        self.arrived: dict[int, dict[int, float]] = {}
        self.leaks: list[tuple[int, dict]] = []
        self.expected: dict[int, str] = {}  # version → text
        self.complete: asyncio.Event | None = None
        self.wanted = 0

    def handler(self, desktop: int, in_scope: bool):
        def on_data(event: dict) -> None:
            message = event["data"]
            if message.get("kind") != "incident":
                return
            now = time.perf_counter()
            if not in_scope:
                self.leaks.append((desktop, message))
                return
            version = message.get("version")
            if self.expected.get(version) != message.get("body"):
                return  # not the text that was approved: does not count as seen
            seen = self.arrived.setdefault(version, {})
            seen.setdefault(desktop, now)
            if len(seen) == self.wanted and self.complete is not None:
                self.complete.set()

        return on_data


async def change(manager, incident_pk: int, version: int, desktops: Desktops, wait: float):
    """Write version `version`, approve it; returns (request start, response, errors)."""
    from asgiref.sync import sync_to_async

    from hotline.incidents.models import Script

    text = f"第{version}版口径：福州城区停水预计今晚{18 + version % 5}时恢复，送水点设在各街道办。"
    page = await manager.get(f"/incidents/{incident_pk}/")
    token = CSRF.search(page.text)[1]
    r = await manager.post(
        f"/incidents/{incident_pk}/scripts/", data={"body": text, "csrfmiddlewaretoken": token}
    )
    if r.status_code != 302:
        return None, None, [f"write {r.status_code} {r.text[:200]}"]
    script = await sync_to_async(Script.objects.get)(incident_id=incident_pk, version=version)
    desktops.expected[version] = text
    desktops.complete = asyncio.Event()
    await asyncio.sleep(1.0)  # the draft settles; nothing of it may reach a desktop
    start = time.perf_counter()
    r = await manager.post(
        f"/incidents/{incident_pk}/scripts/{script.pk}/approve/",
        data={"csrfmiddlewaretoken": token},
    )
    answered = time.perf_counter()
    errors = []
    await sync_to_async(script.refresh_from_db)()
    if r.status_code != 302 or script.state != "approved":
        errors.append(f"approve {r.status_code} state {script.state}")
    # Past `wait` seconds, the desktops still without it count as lost.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(desktops.complete.wait(), timeout=wait)
    return start, answered, errors


async def run(base, incident_pk, manager_key, fz, xm, changes, wait, cookie_name):
    desktops = Desktops()
    desktops.wanted = len(fz)
    streams = [
        (f"{cookie_name}={key}", params, desktops.handler(i, True))
        for i, (key, params) in enumerate(fz)
    ] + [
        (f"{cookie_name}={key}", params, desktops.handler(len(fz) + i, False))
        for i, (key, params) in enumerate(xm)
    ]
    limits = httpx.Limits(max_connections=len(streams) + 10, max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(
            base_url=base, limits=limits, timeout=httpx.Timeout(60.0, read=None)
        ) as client,
        httpx.AsyncClient(base_url=base, timeout=60.0) as manager,
    ):
        tasks, connect_s = await open_streams(client, streams)
        # The CSRF cookie comes with the first page; the session is the manager's own.
        page = await manager.get("/login/")
        csrf = page.cookies.get("csrftoken", "")
        manager.headers["Cookie"] = f"{cookie_name}={manager_key}; csrftoken={csrf}"
        rows, errors = [], []
        busy0 = machine_cpu()
        for version in range(1, changes + 1):
            start, answered, errs = await change(manager, incident_pk, version, desktops, wait)
            errors += errs
            if start is None:
                continue
            seen = desktops.arrived.get(version, {})
            rows.append(
                (
                    version,
                    answered - start,
                    [t - answered for t in seen.values()],
                    [t - start for t in seen.values()],
                    len(fz) - len(seen),
                )
            )
            await asyncio.sleep(2.0)
        busy1 = machine_cpu()
        await close_streams(tasks)
    cpu = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    return connect_s, rows, errors, desktops.leaks, cpu


def ms(values, p) -> str:
    return f"{percentile([v * 1000 for v in values], p):.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=1000, help="福州 desktops (in scope)")
    ap.add_argument("--others", type=int, default=50, help="厦门 desktops (out of scope)")
    ap.add_argument("--changes", type=int, default=5)
    ap.add_argument("--wait", type=float, default=30.0, help="seconds before a desktop is lost")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8767)
    args = ap.parse_args()

    url, secret_key = live_database("hotline_bench_script_change")
    from django.conf import settings

    t = time.perf_counter()
    incident, manager_key, fz, xm = build(args.agents, args.others)
    print(
        f"set-up              {args.agents} + {args.others} agents ({time.perf_counter() - t:.0f} s)"
    )
    with hotline_served(url, args.port, args.workers, secret_key) as (base, _):
        connect_s, rows, errors, leaks, cpu = asyncio.run(
            run(
                base,
                incident.pk,
                manager_key,
                fz,
                xm,
                args.changes,
                args.wait,
                settings.SESSION_COOKIE_NAME,
            )
        )
    print(
        f"server              hotline serve: {args.workers} uvicorn workers, Redis broker, PostgreSQL"
    )
    print(
        f"desktops            {args.agents} in scope + {args.others} outside, "
        f"{args.agents + args.others} SSE streams open in {connect_s:.1f} s"
    )
    print(
        "change  approve ms  received  lost  from response p50 / p95 / max ms  "
        "from request p95  first→last desktop ms"
    )
    after_response, after_request, lost = [], [], 0
    for version, approve_s, from_response, from_request, missing in rows:
        after_response += from_response
        after_request += from_request
        lost += missing
        # How far apart the first and the last desktop got it: the fan-out's own spread.
        spread = (max(from_response) - min(from_response)) * 1000 if from_response else 0.0
        print(
            f"v{version:<6} {approve_s * 1000:>10.0f}  {len(from_response):>8}  {missing:>4}  "
            f"{ms(from_response, 50):>6} / {ms(from_response, 95):>6} / {ms(from_response, 100):>6}"
            f"  {ms(from_request, 95):>16}  {spread:>21.0f}"
        )
    print(
        f"all changes         {len(after_response)} received, {lost} lost; from the approval's "
        f"response p50 {ms(after_response, 50)}  p95 {ms(after_response, 95)}  "
        f"max {ms(after_response, 100)} ms (target p95 ≤ 2,000)"
    )
    print(
        f"                    from the approval's request p50 {ms(after_request, 50)}  "
        f"p95 {ms(after_request, 95)}  max {ms(after_request, 100)} ms"
    )
    print(f"leaks               {len(leaks)} incident messages on desktops outside the regions")
    print(f"machine busy        {cpu:.0%} of 2 cores during the changes (server, client, database)")
    for e in errors[:5]:
        print("  error:", e)


if __name__ == "__main__":
    main()
