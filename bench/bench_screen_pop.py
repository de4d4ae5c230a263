"""Screen pop latency: from the answered event's CTI POST to the agent's SSE client having it.

`hotline serve` (gunicorn, uvicorn workers, the Redis broker, PostgreSQL) with N agents signed
in and ready, each with an open /realtime/stream/ (asyncio httpx clients, as a browser's
EventSource). Calls are offered, then answered at a steady rate, each at another agent's seat;
for each call the clock runs from just before the answered event is POSTed (signed) to the
moment that agent's client has parsed the pushed screen pop and then loaded the pop with the
caller's history (GET /calls/desk/pop/?call=…, as desk.js does on the push). Prints the
percentiles of both moments.

    .venv/bin/python bench/bench_screen_pop.py [--agents 1000] [--calls 500] [--rate 20]
"""

import argparse
import asyncio
import datetime as dt
import json
import time
import uuid

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


def build(agents: int):
    """The center, its platform and queue, `agents` agents each signed in and ready at a seat;
    returns (platform code, secret, [(seat code, user id, session cookie)])."""
    from hotline.calls import agents as agent_states
    from hotline.calls import services
    from hotline.calls.models import CallQueue, Seat
    from hotline.orgs.models import Membership, Region, Role, Unit, User

    region = Region.objects.create(code="350000", name="福建省", level="province")
    center = Unit.objects.create(
        code="prov", name="福建省12345热线中心", kind="center", level="province", region=region
    )
    platform, secret = services.create_platform(code="bench", name="压测平台", center=center)
    CallQueue.objects.create(code="general", name="综合", center=center)
    users = User.objects.bulk_create(
        User(username=f"agent{n:04d}", full_name=f"话务员{n:04d}") for n in range(agents)
    )
    Membership.objects.bulk_create(Membership(user=u, unit=center, role=Role.AGENT) for u in users)
    seats = Seat.objects.bulk_create(
        Seat(code=f"{8000 + n}", center=center, extension=f"{8000 + n}") for n in range(agents)
    )
    out = []
    for user, seat in zip(users, seats, strict=True):
        agent_states.sign_in(user=user, seat=seat)
        agent_states.set_state(user=user, state="ready")
        out.append((seat.code, user.pk, login_session(user)))
    return platform.code, secret, out


class Agents:
    """The agents' open streams; `arrived[call]` is when the answered pop reached its agent."""

    def __init__(self):
        self.arrived: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future] = {}

    def on_data(self, event: dict) -> None:
        message = event["data"]
        if message.get("kind") == "screen_pop" and message.get("event") == "answered":
            self._arrive(message)

    def _arrive(self, message):
        # Matched by the caller's number: each bench call has its own.
        now = time.perf_counter()
        number = message["number"]
        self.arrived.setdefault(number, now)
        waiter = self.waiters.get(number)
        if waiter is not None and not waiter.done():
            waiter.set_result((now, message["call_id"]))


def signed(code: str, secret: str, payload: dict) -> tuple[bytes, dict]:
    from hotline.exchange import signing

    body = json.dumps(payload).encode()
    head = signing.headers(code, secret, body)
    head["X-Hotline-Platform"] = head.pop(signing.SYSTEM_HEADER)
    head["Content-Type"] = "application/json"
    return body, head


async def post_event(client, code, secret, payload) -> httpx.Response:
    """POST one signed event; a connection the server just closed (keep-alive expiry) is
    retried once on a new one, signed again (a re-sent signature would be a replay)."""
    for attempt in (1, 2):
        body, head = signed(code, secret, payload)
        try:
            return await client.post("/api/v1/cti/events", content=body, headers=head)
        except httpx.TransportError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def one_call(client, code, secret, agent, n, listeners, latencies, posts, errors):
    seat, cookie = agent
    call_id = f"bench-{uuid.uuid4().hex}"
    caller = f"1390591{n:04d}"
    now = dt.datetime.now(dt.UTC)
    offered = {
        "event_id": f"{call_id}-1",
        "call_id": call_id,
        "type": "offered",
        "at": now.isoformat(),
        "caller": caller,
        "called": "12345",
        "queue": "general",
    }
    r = await post_event(client, code, secret, offered)
    if r.status_code != 200:
        errors.append(f"offered {r.status_code} {r.text[:200]}")
        return
    answered = {
        "event_id": f"{call_id}-2",
        "call_id": call_id,
        "type": "answered",
        "at": (now + dt.timedelta(seconds=2)).isoformat(),
        "agent": seat,
    }
    waiter = asyncio.get_running_loop().create_future()
    listeners.waiters[caller] = waiter
    start = time.perf_counter()
    r = await post_event(client, code, secret, answered)
    posts.append(time.perf_counter() - start)
    if r.status_code != 200 or r.json().get("errors"):
        errors.append(f"answered {r.status_code} {r.text[:200]}")
        return
    try:
        arrived, call_pk = await asyncio.wait_for(waiter, timeout=30)
    except TimeoutError:
        errors.append(f"no screen pop for {caller} within 30 s")
        return
    # The desk then loads the pop with the caller's history, in the agent's own session.
    r = await client.get(
        "/calls/desk/pop/",
        params={"call": call_pk},
        headers={"Cookie": cookie, "HX-Request": "true"},
    )
    if r.status_code != 200 or 'data-testid="pop-region"' not in r.text:
        errors.append(f"pop {r.status_code} {r.text[:200]}")
        return
    latencies.append((arrived - start, time.perf_counter() - start))


async def run(base, code, secret, agents, calls, rate, cookie_name):
    listeners = Agents()
    limits = httpx.Limits(max_connections=len(agents) + 10, max_keepalive_connections=0)
    timeout = httpx.Timeout(60.0, read=None)
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as streams,
        httpx.AsyncClient(
            base_url=base, timeout=60.0, limits=httpx.Limits(keepalive_expiry=1.0)
        ) as poster,
    ):
        tasks, connect_s = await open_streams(
            streams, [(f"{cookie_name}={key}", None, listeners.on_data) for _, _, key in agents]
        )
        latencies, posts, errors, pending = [], [], [], []
        busy0 = machine_cpu()
        t1 = time.perf_counter()
        for n in range(calls):
            seat, _, key = agents[n % len(agents)]
            agent = (seat, f"{cookie_name}={key}")
            pending.append(
                asyncio.create_task(
                    one_call(poster, code, secret, agent, n, listeners, latencies, posts, errors)
                )
            )
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - t1
        busy1 = machine_cpu()
        await close_streams(tasks)
    cpu = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    return len(tasks), connect_s, latencies, posts, errors, elapsed, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--rate", type=float, default=20, help="answered calls per second")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8766)
    args = ap.parse_args()

    url, secret_key = live_database("hotline_bench_screen_pop")
    from django.conf import settings

    t = time.perf_counter()
    code, secret, agents = build(args.agents)
    print(
        f"set-up              {args.agents} agents signed in and ready ({time.perf_counter() - t:.0f} s)"
    )
    with hotline_served(url, args.port, args.workers, secret_key) as (base, _):
        connected, connect_s, lat, posts, errors, elapsed, cpu = asyncio.run(
            run(
                base,
                code,
                secret,
                agents,
                args.calls,
                args.rate,
                settings.SESSION_COOKIE_NAME,
            )
        )
    ms = [x[1] * 1000 for x in lat]
    pushed = [x[0] * 1000 for x in lat]
    print(
        f"server              hotline serve: {args.workers} uvicorn workers, Redis broker, PostgreSQL"
    )
    print(f"agents connected    {connected} SSE streams (all open in {connect_s:.1f} s)")
    print(f"calls               {args.calls} answered at {args.rate:g}/s over {elapsed:.1f} s")
    print(f"screen pops         {len(ms)} received, {len(errors)} missing or failed")
    print(
        f"pushed pop ms       p50 {percentile(pushed, 50):.0f}  p95 {percentile(pushed, 95):.0f}  "
        f"p99 {percentile(pushed, 99):.0f}  max {max(pushed) if pushed else float('nan'):.0f}"
    )
    print(
        f"pop + history ms    p50 {percentile(ms, 50):.0f}  p95 {percentile(ms, 95):.0f}  "
        f"p99 {percentile(ms, 99):.0f}  max {max(ms) if ms else float('nan'):.0f}"
    )
    post_ms = [x * 1000 for x in posts]
    print(
        f"answered POST ms    p50 {percentile(post_ms, 50):.0f}  p95 {percentile(post_ms, 95):.0f}"
        "  (the CTI request's own round trip, inside the latency above)"
    )
    print(f"machine busy        {cpu:.0%} of 2 cores during the calls (server, client, database)")
    for e in errors[:5]:
        print("  error:", e)


if __name__ == "__main__":
    main()
