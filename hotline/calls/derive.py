"""A call's fields from all its events: a pure function, so any arrival order gives one result.
The numbers are not among them: stored events keep none (events.py, issue 18).

The events are sorted by (time, type rank, event id) and folded once. Nothing here reads the
database: the caller resolves seat and queue codes and passes the short-abandon threshold.
"""

import datetime as dt
from dataclasses import dataclass, field

# Within one second a platform may stamp several events; their natural order decides.
TYPE_RANK = {
    "offered": 0,
    "outbound": 0,
    "ringing": 1,
    "answered": 2,
    "held": 3,
    "resumed": 4,
    "transferred": 5,
    "voicemail": 6,
    "abandoned": 7,
    "ended": 8,
}
TERMINAL = {"ended", "abandoned", "voicemail"}


@dataclass(frozen=True)
class Ev:
    """One event as derivation needs it (`data` is the platform's payload)."""

    event_id: str
    type: str
    at: dt.datetime
    data: dict = field(default_factory=dict, compare=False, hash=False)

    def sort_key(self):
        return (self.at, TYPE_RANK[self.type], self.event_id)


@dataclass
class Derived:
    direction: str = "inbound"
    state: str = "queued"
    outcome: str = ""
    trunk: str = ""
    queue_code: str = ""
    ivr: list = field(default_factory=list)
    agent_code: str = ""
    offered_at: dt.datetime | None = None
    ringing_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    wait_seconds: int | None = None
    talk_seconds: int = 0
    hold_seconds: int = 0
    recording: str = ""
    cause: str = ""
    transfer_kind: str = ""
    transfer_target: str = ""
    request_id: str = ""
    event_count: int = 0


def _seconds(a: dt.datetime, b: dt.datetime) -> int:
    return max(0, round((b - a).total_seconds()))


def _first(current, value):
    return current if current else (value or current)


def derive(events: list[Ev], *, short_abandon_seconds: int) -> Derived:
    """Fold `events` (any order) into the call's fields."""
    out = Derived(event_count=len(events))
    if not events:
        return out
    ordered = sorted(events, key=Ev.sort_key)
    answered_agent = ringing_agent = ""
    held_since = None
    abandoned_wait = None
    terminal = None
    transferred = False
    for ev in ordered:
        d = ev.data
        if d.get("direction") == "outbound" or ev.type == "outbound":
            out.direction = "outbound"
        out.trunk = _first(out.trunk, d.get("trunk"))
        out.queue_code = _first(out.queue_code, d.get("queue"))
        out.request_id = _first(out.request_id, d.get("request_id"))
        if not out.ivr and d.get("ivr"):
            out.ivr = list(d["ivr"])
        if d.get("recording"):
            out.recording = d["recording"]
        if ev.type in ("offered", "outbound") and out.offered_at is None:
            out.offered_at = ev.at
        elif ev.type == "ringing":
            out.ringing_at = out.ringing_at or ev.at
            ringing_agent = d.get("agent") or ringing_agent
        elif ev.type == "answered" and out.answered_at is None:
            out.answered_at = ev.at
            answered_agent = d.get("agent") or ""
        elif ev.type == "held" and held_since is None:
            held_since = ev.at
        elif ev.type == "resumed" and held_since is not None:
            out.hold_seconds += _seconds(held_since, ev.at)
            held_since = None
        elif ev.type == "transferred":
            transferred = True
            target = d.get("transfer_to") or {}
            out.transfer_kind = str(target.get("kind", ""))
            out.transfer_target = str(target.get("target", ""))
        if ev.type in TERMINAL:
            if ev.type == "abandoned" and d.get("wait_seconds") is not None:
                abandoned_wait = int(d["wait_seconds"])
            if d.get("cause"):
                out.cause = d["cause"]
            # The first terminal event ends the call; a later one (a platform sending both
            # abandoned and ended) adds its details but never moves the end.
            if terminal is None or (terminal.type == "ended" and ev.type != "ended"):
                terminal = ev if terminal is None else _merge_terminal(terminal, ev)
    # A call whose first event is not an offer still starts with its earliest event.
    out.offered_at = out.offered_at or ordered[0].at
    out.agent_code = answered_agent or ringing_agent
    if terminal is not None:
        out.ended_at = terminal.at
        if held_since is not None:
            out.hold_seconds += _seconds(held_since, terminal.at)
    if out.answered_at is not None:
        out.wait_seconds = _seconds(out.offered_at, out.answered_at)
        if out.ended_at is not None:
            out.talk_seconds = max(0, _seconds(out.answered_at, out.ended_at) - out.hold_seconds)
    elif terminal is not None:
        out.wait_seconds = (
            abandoned_wait if abandoned_wait is not None else _seconds(out.offered_at, terminal.at)
        )
    out.state = _state(out, terminal, held_since, transferred)
    out.outcome = _outcome(out, terminal, transferred, short_abandon_seconds)
    return out


def _merge_terminal(first: Ev, later: Ev) -> Ev:
    # "ended" then "abandoned"/"voicemail" at a later second: the kind comes from the
    # more telling event, the time from the first.
    return Ev(first.event_id, later.type, first.at, later.data)


def _state(out: Derived, terminal, held_since, transferred) -> str:
    if terminal is not None:
        return "finished"
    if out.answered_at is not None:
        return "held" if held_since is not None else "talking"
    if out.ringing_at is not None:
        return "ringing"
    return "queued"


def _outcome(out: Derived, terminal, transferred, short_abandon_seconds) -> str:
    if out.direction == "outbound":
        if out.answered_at is not None:
            return "outbound_answered"
        return "outbound_failed" if terminal is not None else ""
    if terminal is not None and terminal.type == "voicemail":
        return "voicemail"
    if transferred:
        return "transferred"
    if out.answered_at is not None:
        return "answered"
    if terminal is None:
        return ""
    if (out.wait_seconds or 0) <= short_abandon_seconds:
        return "short_abandon"
    return "abandoned"
