"""The demo's telephone: a call platform, queue and seats at the demo centers, the demo agents'
shifts, and the last days of calls, imported as an Asterisk CDR file through `import_cdr`
(the path a center's real history takes), so the wallboard, the answer rate and the
scorecards' call line have something to show.

The calls follow a hotline's day: few at night, peaks mid-morning and mid-afternoon. They
are played through the center's seats as a queue: a call goes to the first seat on duty that
is free, a seat is busy for the talk and the wrap-up after it, and a caller hangs up when the
wait outlasts their patience. So waits, abandons and the service level come from the load
and the staffing, hour by hour, as at a real desk, and no seat takes two calls at once.
The day's last few abandoned calls arrive instead as the platform's signed live events, so
the 回拨 queue has the items a live abandon opens (an imported call is history and opens none).
"""

import csv
import datetime as dt
import io
import json
import math
import random
import time
from dataclasses import dataclass

from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.exchange import signing
from hotline.orgs.models import Unit, User

from . import agents, conf, cti, services
from . import events as event_store
from .cdr import import_cdr
from .models import AgentState, Call, CallPlatform, CallQueue, Seat

DAYS = 7  # today so far and the six days before it
DAY_SHIFT = (8, 20)  # local hours of the day seats; the night seat covers the rest
RING_SECONDS = 4
WRAP_SECONDS = 30  # 话后整理 after each call
PATIENCE_SECONDS = 90  # a caller's mean patience in the queue
# Relative calls per local hour, 0–23 (a 12345 desk's shape: mid-morning and afternoon peaks).
PROFILE = [2, 1, 1, 1, 1, 2, 4, 9, 20, 26, 25, 21, 12, 14, 22, 23, 20, 16, 11, 8, 6, 5, 4, 3]
STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class DemoCenter:
    center: str  # unit code
    platform: str
    agent: str  # the demo account at seat 1001 in the day shift
    per_day: int  # calls on an ordinary day
    day_seats: int


CENTERS = [
    DemoCenter("350000-center", "provcti", "prov_agent", 120, 2),
    DemoCenter("350100-center", "fzcti", "fz_agent", 260, 3),
]
NIGHT_SEAT = "1900"
LIVE_ABANDONED = 3  # the day's last abandoned calls arrive live, for the 回拨 queue


def load(*, seed: int = 7, now: dt.datetime | None = None) -> int:
    """Platforms, seats, shifts and DAYS of calls for the demo centers; the calls they hold.

    A center whose demo platform exists already keeps its calls: loading the demo again adds
    tickets, not a second week of the same calls."""
    now = now or timezone.now()
    rng = random.Random(seed)
    for spec in CENTERS:
        if CallPlatform.objects.filter(code=spec.platform).exists():
            continue
        center = Unit.objects.get(code=spec.center)
        platform, secret = services.create_platform(
            code=spec.platform, name=f"{center.name}呼叫平台", center=center
        )
        CallQueue.objects.create(code="general", name="综合咨询", center=center)
        # Only seat 1001 has a demo account: the other seats' calls count for the center.
        day = [f"{1001 + i}" for i in range(spec.day_seats)]
        seats = [
            Seat.objects.create(code=c, center=center, extension=c) for c in [*day, NIGHT_SEAT]
        ]
        _shifts(User.objects.get(username=spec.agent), seats[0], now)
        played = _played(_offered(rng, spec.per_day, now), day, now)
        live = _live(played, now)
        sent_live = {p.n for p in live}
        report = import_cdr(
            platform=platform,
            fmt="asterisk",
            data=_cdr([p for p in played if p.n not in sent_live]),
        )
        if report.errors or report.event_errors:
            raise RuntimeError(f"the demo CDR of {spec.center} did not import: {report.errors[:3]}")
        _send_live(platform, secret, live)
    return Call.objects.filter(platform__code__in=[s.platform for s in CENTERS]).count()


def _local_days(now: dt.datetime) -> list[dt.datetime]:
    """Local midnight of each demo day, oldest first."""
    today = to_local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - dt.timedelta(days=d) for d in range(DAYS - 1, -1, -1)]


def _shifts(user, seat: Seat, now: dt.datetime) -> None:
    """The agent's day shifts, all over by `now` (the demo starts with nobody signed in)."""
    for midnight in _local_days(now):
        start = midnight + dt.timedelta(hours=DAY_SHIFT[0])
        end = min(midnight + dt.timedelta(hours=DAY_SHIFT[1]), now - dt.timedelta(minutes=1))
        if end <= start:
            continue
        agents.sign_in(user=user, seat=seat, at=start)
        agents.set_state(user=user, state=AgentState.READY, at=start + dt.timedelta(minutes=2))
        agents.sign_out(user=user, at=end)


@dataclass
class Offered:
    at: dt.datetime
    caller: str
    patience: float  # seconds the caller waits before hanging up
    talk: int  # seconds, if answered


def _offered(rng: random.Random, per_day: int, now: dt.datetime) -> list[Offered]:
    """The calls that reach the queue over the demo days, in order."""
    weight = sum(PROFILE)
    calls = []
    for midnight in _local_days(now):
        for hour, share in enumerate(PROFILE):
            for _ in range(_poisson(rng, per_day * share / weight)):
                calls.append(
                    Offered(
                        at=midnight + dt.timedelta(hours=hour, seconds=rng.randrange(3600)),
                        caller=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                        patience=rng.expovariate(1 / PATIENCE_SECONDS),
                        talk=round(min(1800, rng.lognormvariate(5.0, 0.6))),  # median 150 s
                    )
                )
    return sorted(calls, key=lambda c: c.at)


def _poisson(rng: random.Random, mean: float) -> int:
    """Calls in one hour (Knuth's method: the means here are small)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass
class Played:
    """One call after the queue: answered at a seat, or abandoned, and when it ended."""

    n: int
    call: Offered
    end: dt.datetime
    seat: str = ""
    answered: dt.datetime | None = None

    @property
    def waited(self) -> float:
        return ((self.answered or self.end) - self.call.at).total_seconds()


def _played(calls: list[Offered], day_seats: list[str], now: dt.datetime) -> list[Played]:
    """The calls played through the seats, those over by `now` (a call going on is in no CDR)."""
    free_at: dict[str, dt.datetime] = {}
    out = []
    for n, call in enumerate(calls, 1):
        on_duty = day_seats if DAY_SHIFT[0] <= call.at.hour < DAY_SHIFT[1] else [NIGHT_SEAT]
        ring = call.at + dt.timedelta(seconds=RING_SECONDS)
        seat = min(on_duty, key=lambda s: free_at.get(s, ring))
        answered = max(ring, free_at.get(seat, ring))
        if (answered - call.at).total_seconds() <= call.patience:
            end = answered + dt.timedelta(seconds=call.talk)
            free_at[seat] = end + dt.timedelta(seconds=WRAP_SECONDS)
            played = Played(n, call, end, seat, answered)
        else:
            played = Played(n, call, call.at + dt.timedelta(seconds=round(call.patience)))
        if played.end < now:
            out.append(played)
    return out


def _live(played: list[Played], now: dt.datetime) -> list[Played]:
    """The last abandoned calls of the day before `now` that are long enough to call back."""
    recent = [
        p for p in played
        if p.answered is None and p.waited > conf.short_abandon_seconds()
        and p.end > now - dt.timedelta(hours=24)
    ]  # fmt: skip
    return recent[-LIVE_ABANDONED:]


def _cdr(played: list[Played]) -> bytes:
    """The calls as the lines of an Asterisk Master.csv."""
    out = io.StringIO()
    rows = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for p in played:
        c = p.call
        answer = p.answered.strftime(STAMP) if p.answered else ""
        rows.writerow([
            "", c.caller, "12345", "from-trunk", c.caller, f"SIP/trunk-{p.n:08x}",
            f"SIP/{p.seat}-{p.n:08x}" if p.seat else "", "Queue", "general,t,,,300",
            c.at.strftime(STAMP), answer, p.end.strftime(STAMP),
            round((p.end - c.at).total_seconds()),
            round((p.end - p.answered).total_seconds()) if p.answered else 0,
            "ANSWERED" if p.answered else "NO ANSWER", "DOCUMENTATION", f"demo.{p.n}", "",
        ])  # fmt: skip
    return out.getvalue().encode()


def _send_live(platform, secret: str, played: list[Played]) -> None:
    """The calls as the signed events the platform pushes (the CTI intake's own path): an
    abandoned call pushed live opens a 回拨 item, where an imported one is history."""
    if not played:
        return  # a quiet day: a platform sends no empty batch (the intake refuses one)
    events = []
    for p in played:
        call_id = f"demo.{p.n}"
        events += [
            {"event_id": f"{call_id}:offered", "call_id": call_id, "type": "offered",
             "at": p.call.at.isoformat(), "caller": p.call.caller, "called": "12345",
             "queue": "general"},
            {"event_id": f"{call_id}:abandoned", "call_id": call_id, "type": "abandoned",
             "at": p.end.isoformat(), "cause": "caller_hangup"},
        ]  # fmt: skip
    body = json.dumps({"events": events}).encode()
    batch, raw = cti.parse(body)
    signature = signing.sign(secret, int(time.time()), body)
    result = event_store.ingest(platform=platform, events=batch, raw=raw, signature=signature)
    if result["errors"]:
        raise RuntimeError(f"the demo's live calls were refused: {result['errors'][:3]}")
