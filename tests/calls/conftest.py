"""Calls fixtures: 福州's call platform, its queues and seats, and a signed poster."""

import datetime as dt
import itertools
import json
import time
from types import SimpleNamespace

import pytest

from hotline.calls import cti, push, services
from hotline.calls.models import CallQueue, Seat
from hotline.exchange import signing

T0 = dt.datetime(2026, 10, 12, 9, 0, 0, tzinfo=dt.UTC)  # a Monday, 17:00 in 福州


def at(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat()


@pytest.fixture(autouse=True)
def _fresh_topics():
    # Center and call ids are reused between tests on SQLite; the caches must not carry over.
    push._topics.clear()
    cti.forget_platforms()


@pytest.fixture
def phone(province):
    """福州's platform "fzcti", queue "general", seats 1001 (福州) and 2001 (鼓楼), 9001 (厦门)."""
    platform, secret = services.create_platform(
        code="fzcti", name="福州呼叫平台", center=province.units["fz"]
    )
    queue = CallQueue.objects.create(code="general", name="综合", center=province.units["fz"])
    seats = {
        "1001": Seat.objects.create(code="1001", center=province.units["fz"], extension="1001"),
        "2001": Seat.objects.create(code="2001", center=province.units["gl"], extension="2001"),
        "9001": Seat.objects.create(code="9001", center=province.units["xm"], extension="9001"),
    }
    return SimpleNamespace(platform=platform, secret=secret, queue=queue, seats=seats)


def sign_headers(code, secret, body, now=None):
    head = signing.headers(code, secret, body, now=now)
    head["X-Hotline-Platform"] = head.pop(signing.SYSTEM_HEADER)
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in head.items()}


@pytest.fixture
def post(client, phone):
    """POST events to the CTI endpoint signed as 福州's platform (or as told)."""

    # Each request a second apart: the same body posted twice is a re-send, not a replay.
    clock = itertools.count(int(time.time()) - 250)

    def _post(events, *, body=None, headers=None, secret=None, now=None, code=None):
        now = next(clock) if now is None else now
        if body is None:
            payload = {"events": events} if isinstance(events, list) else events
            body = json.dumps(payload).encode()
        extra = (
            headers
            if headers is not None
            else sign_headers(code or phone.platform.code, secret or phone.secret, body, now=now)
        )
        return client.post("/api/v1/cti/events", body, content_type="application/json", **extra)

    return _post


def offered(call, eid, t, caller="13800000001", **more):
    return {
        "event_id": eid,
        "call_id": call,
        "type": "offered",
        "at": at(t),
        "caller": caller,
        "called": "12345",
        "queue": "general",
        **more,
    }


def event(call, eid, type_, t, **more):
    return {"event_id": eid, "call_id": call, "type": type_, "at": at(t), **more}


def answered_call(call, t=0, wait=10, talk=60, agent="1001", caller="13800000001"):
    """The events of an inbound call answered after `wait` s and ended after `talk` s."""
    return [
        offered(call, f"{call}-1", t, caller=caller),
        event(call, f"{call}-2", "ringing", t + wait - 2, agent=agent),
        event(call, f"{call}-3", "answered", t + wait, agent=agent),
        event(call, f"{call}-4", "ended", t + wait + talk, cause="normal"),
    ]
