"""Citizens' numbers outside tickets at rest (issue 18): a call's numbers, its 回拨 item, a
click-to-dial request, a group reply's SMS delivery and a portal verification code are stored
SM4-encrypted, found through their keyed hash, rotated with the tickets, and absent from a
database dump."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from hotline import crypto
from hotline.calls import events, history, services
from hotline.calls.models import Call, CallbackItem, CallEvent, CallQueue, DialRequest, Seat
from hotline.calls.schemas import EventIn
from hotline.incidents.models import Incident, ReplyDelivery, TicketGroup
from hotline.portal import verification
from hotline.portal.models import PhoneCode
from tests.tickets.factory import ticket_at

from .test_data_at_rest import _dump

CALLER = "13966660001"  # calls in, hangs up: a 回拨 item
CALLED = "13966660002"  # called back by click-to-dial, then the outbound call's events
TEXTED = "13966660003"  # the SMS of a group reply
CODED = "13966660004"  # a portal verification code
# An hour ago: within the 30 days the screen pop counts repeat calls over.
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)


def make_line(province):
    """福州's call platform with queue "general" and seat 1001."""
    platform, _ = services.create_platform(code="fzcti", name="福州", center=province.units["fz"])
    CallQueue.objects.create(code="general", name="综合", center=province.units["fz"])
    Seat.objects.create(code="1001", center=province.units["fz"], extension="1001")
    return platform


@pytest.fixture
def line(province):
    return make_line(province)


def _store(platform, *bodies):
    raw = [
        {"event_id": f"e{n}-{b['type']}-{b['call_id']}", "at": (T0 + dt.timedelta(seconds=n))
         .isoformat(), **b}
        for n, b in enumerate(bodies)
    ]  # fmt: skip
    with transaction.atomic():  # as a request is (the migration test runs outside one)
        return events.store(platform=platform, events=[EventIn(**r) for r in raw], raw=raw)


def _abandoned_call(platform, call_id="a", caller=CALLER):
    _store(
        platform,
        {"call_id": call_id, "type": "offered", "caller": caller, "called": "12345",
         "queue": "general"},
        {"call_id": call_id, "type": "abandoned", "caller": caller, "wait_seconds": 40},
    )  # fmt: skip
    return Call.objects.get(platform_call_id=call_id)


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_a_dump_shows_no_number_of_calls_callbacks_dials_sms_or_codes(province, keys, line):
    call = _abandoned_call(line)
    item = CallbackItem.objects.get(call=call)
    agent = province.users["fz_agent"]
    services.sign_in(user=agent, seat=Seat.objects.get(code="1001"))
    dial = services.click_to_dial(user=agent, number=CALLED, purpose="callback", callback=item)
    _store(
        line,
        {"call_id": "b", "type": "outbound", "direction": "outbound", "caller": "1001",
         "called": CALLED, "agent": "1001", "request_id": dial.request_id},
        {"call_id": "b", "type": "ended", "called": CALLED},
    )  # fmt: skip
    ticket = ticket_at(province, "closed", citizen_phone=TEXTED)
    incident = Incident.objects.create(
        name="停水", center=province.units["fz"], starts_at=T0, declared_by=agent,
        declared_at=T0,
    )  # fmt: skip
    group = TicketGroup.objects.create(
        incident=incident, parent=ticket, created_by=agent, created_at=T0
    )
    sms = ReplyDelivery.objects.create(
        group=group, ticket=ticket, phone=TEXTED, status="sent", at=T0
    )
    code = verification.send_code(phone=CODED, ip="127.0.0.1")

    dump = _dump()

    assert call.platform_call_id in dump and dial.request_id in dump  # the rows are there
    for number in (CALLER, CALLED, TEXTED, CODED):
        assert number not in dump
        assert number[-8:] not in dump
    outbound = Call.objects.get(platform_call_id="b")
    assert (call.caller, call.called, outbound.caller, outbound.called) == (
        CALLER, "12345", "1001", CALLED,
    )  # fmt: skip
    assert (item.number, DialRequest.objects.get().number) == (CALLER, CALLED)
    assert ReplyDelivery.objects.get(pk=sms.pk).phone == TEXTED
    assert PhoneCode.objects.get(pk=code.pk).phone == CODED
    for table, column, pk in (
        ("calls_call", "caller", call.pk),
        ("calls_call", "called", outbound.pk),
        ("calls_callbackitem", "number", item.pk),
        ("calls_dialrequest", "number", dial.pk),
        ("incidents_replydelivery", "phone", sms.pk),
        ("portal_phonecode", "phone", code.pk),
    ):
        assert _raw(table, column, pk).startswith("k1:"), (table, column)
    # The events are kept whole but for the numbers, which live only on the call.
    payloads = [e.payload for e in CallEvent.objects.order_by("id")]
    assert [sorted(k for k in p if k in ("caller", "called")) for p in payloads] == [[]] * 4
    assert payloads[0]["queue"] == "general"


@pytest.mark.parametrize(
    "typed", [CALLER, "+86 139-6666-0001", " 139 6666 0001 "], ids=["plain", "+86", "spaces"]
)
def test_repeat_calls_are_counted_through_the_callers_hash(province, keys, line, typed):
    _abandoned_call(line, "a")
    _abandoned_call(line, "b")
    _abandoned_call(line, "c", caller="13966669999")

    found = history.caller_history(province.users["fz_agent"], typed)

    assert found["repeat_calls"] == 2
    assert Call.objects.filter(crypto.phone_q(typed, "caller")).count() == 2


def test_a_call_keeps_the_number_of_its_earliest_event_whatever_arrives_later(keys, line):
    # The ended event arrives first, carrying the number the platform repeats.
    _store(line, {"call_id": "x", "type": "ended", "caller": CALLER})
    first = Call.objects.get()
    _store(
        line,
        {"call_id": "x", "type": "offered", "caller": CALLER, "called": "12345",
         "queue": "general"},
    )  # fmt: skip
    call = Call.objects.get()

    assert (first.caller, first.called) == (CALLER, "")
    assert (call.caller, call.called) == (CALLER, "12345")
    assert Call.objects.filter(crypto.phone_q(CALLER, "caller")).get().pk == call.pk


def test_the_numbers_are_encrypted_once_a_call_not_on_every_event(keys, line, monkeypatch):
    seen = []
    real = crypto.encrypt
    monkeypatch.setattr(crypto, "encrypt", lambda *a, **k: seen.append(a[1]) or real(*a, **k))
    offered = {"call_id": "r", "type": "offered", "caller": CALLER, "called": "12345",
               "queue": "general"}  # fmt: skip

    _store(line, offered)
    for n, kind in enumerate(("ringing", "answered", "ended")):
        raw = [{"event_id": f"r{n}", "at": (T0 + dt.timedelta(seconds=10 + n)).isoformat(),
                "call_id": "r", "type": kind, "caller": CALLER, "agent": "1001"}]  # fmt: skip
        events.store(platform=line, events=[EventIn(**r) for r in raw], raw=raw)

    assert sorted(seen) == [b"called", b"caller"]


def test_the_rotate_command_reencrypts_the_numbers_of_every_table(province, keys, line):
    call = _abandoned_call(line)
    verification.send_code(phone=CODED, ip="127.0.0.1")
    keys.DATA_KEY = crypto.new_key_entry("k2") + "," + keys.DATA_KEY
    crypto.reset()
    out = io.StringIO()

    call_command("rotate_data_key", stdout=out)

    assert "calls_call: 完成，重新加密 1 行" in out.getvalue()
    assert "calls_callbackitem: 完成，重新加密 1 行" in out.getvalue()
    assert "portal_phonecode: 完成，重新加密 1 行" in out.getvalue()
    assert "incidents_replydelivery: 完成，重新加密 0 行" in out.getvalue()
    assert _raw("calls_call", "caller", call.pk).startswith("k2:")
    keys.DATA_KEY = keys.DATA_KEY.split(",")[0]  # the old key dropped
    crypto.reset()
    assert Call.objects.filter(crypto.phone_q(CALLER, "caller")).get().caller == CALLER
    assert PhoneCode.objects.filter(crypto.phone_q(CODED, "phone")).get().phone == CODED


def test_lists_and_the_api_show_the_citizens_number_masked(client, province, keys, line):
    _abandoned_call(line)
    client.force_login(province.users["fz_agent"])

    queue = client.get("/api/v1/calls/callbacks/queue").json()["items"]
    page = client.get("/calls/callbacks/").content.decode()
    client.force_login(province.users["fz_supervisor"])
    calls = client.get("/api/v1/calls").json()["calls"]
    by_number = client.get("/api/v1/calls", {"caller": "+86 13966660001"}).json()["calls"]

    assert [i["number"] for i in queue] == ["139****0001"]
    assert "139****0001" in page and CALLER not in page
    assert [(c["caller"], c["called"]) for c in calls] == [("139****0001", "12345")]
    assert [c["id"] for c in by_number] == [c["id"] for c in calls]
