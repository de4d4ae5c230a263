"""Click-to-dial through Kamailio: the product asks over JSON-RPC, Kamailio rings the agent's
softphone (baresip, auto-answer) and refers it to the citizen's number; the citizen's phone
(sipp behind the gateway) answers; the call's events come back linked to the request."""

import pytest

from hotline.calls import dialing, services
from hotline.calls.models import (
    Call,
    CallEvent,
    CallState,
    DialKind,
    DialPurpose,
    DialRequest,
    DialStatus,
    Direction,
    Outcome,
    Seat,
)

from .harness import wait_for

DEADLINE = 60


def test_sip_click_to_dial_rings_the_agent_then_connects_the_citizen(call_center):
    # given an agent signed in at the softphone's seat
    stack = call_center.stack
    agent = call_center.agents[stack.softphone_seat]
    # when the agent clicks to call a citizen back
    request = dialing.click_to_dial(user=agent, number="13512345678", purpose=DialPurpose.CALLBACK)
    # then the platform took the request, and the answered call comes back tied to it
    assert request.status == DialStatus.SENT
    answered = wait_for(
        lambda: next(  # the number is stored encrypted: compared once decrypted
            (
                c
                for c in Call.objects.filter(outcome=Outcome.OUTBOUND_ANSWERED)
                if c.called == "13512345678"
            ),
            None,
        ),
        timeout=DEADLINE,
        what="the outbound call answered",
    )
    # when the agent hangs up on the softphone
    assert stack.softphone_command("hangup")["response"] is True
    call = wait_for(
        lambda: Call.objects.filter(pk=answered.pk, state=CallState.FINISHED).first(),
        timeout=DEADLINE,
        what="the outbound call ended",
    )
    assert call.direction == Direction.OUTBOUND
    assert call.outcome == Outcome.OUTBOUND_ANSWERED
    assert call.caller == stack.softphone_seat
    assert call.seat == call_center.seats[stack.softphone_seat]
    assert call.agent == agent
    assert call.cause == "agent_hangup"
    events = CallEvent.objects.filter(call=call)
    assert sorted(events.values_list("type", flat=True)) == [
        "answered",
        "ended",
        "outbound",
        "ringing",
    ]
    assert {e.payload["request_id"] for e in events} == {request.request_id}
    request.refresh_from_db()
    assert request.call == call
    assert request.status == DialStatus.ANSWERED


def test_sip_click_to_dial_from_a_seat_whose_phone_is_not_registered_fails(call_center):
    # given an agent at seat 1001, whose phone (a test phone of the queue) never registers
    seat = call_center.stack.agent_seats[0]
    agent = call_center.agents[seat]
    # when the agent clicks to dial
    with pytest.raises(dialing.DialFailed) as refused:
        dialing.click_to_dial(user=agent, number="13512345679", purpose=DialPurpose.CALLBACK)
    # then the agent is told the phone is not registered, and the request says it failed
    assert refused.value.message_zh == f"座席话机（分机 {seat}）未注册，请检查话机"
    request = DialRequest.objects.filter(user=agent).order_by("-id").first()
    assert request.number == "13512345679"
    assert request.status == DialStatus.FAILED
    assert request.error == f"座席话机（分机 {seat}）未注册，请检查话机"


@pytest.mark.parametrize(
    "dial_url",
    ["", "http://127.0.0.1:5071/RPC", "sip:127.0.0.1:5060"],
    ids=["empty", "no-sip-address", "not-http"],
)
def test_a_kamailio_platform_without_a_usable_dial_url_is_refused(province, dial_url):
    # given a Kamailio platform whose dial URL is misconfigured
    platform, _ = services.create_platform(
        code="kam", name="Kamailio", center=province.units["fz"], dial_kind=DialKind.KAMAILIO
    )
    platform.dial_url = dial_url
    seat = Seat.objects.create(code="1003", center=province.units["fz"], extension="1003")
    request = DialRequest(
        request_id="abc", seat=seat, number="13512345670", purpose=DialPurpose.CALLBACK
    )
    # when it dials, then the request is refused with what the URL should be
    with pytest.raises(dialing.DialFailed) as refused:
        dialing.dialer_for(platform).dial(request)
    assert refused.value.message_zh == "平台点击外呼地址应为 http://主机:端口/RPC?sip=主机:端口"
