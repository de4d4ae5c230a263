"""Real SIP calls through Kamailio: sipp citizens call 12345, agents' phones answer, and the
product's Call records come from the events Kamailio posts (deploy/kamailio/kamailio.cfg)."""

from hotline.calls.models import (
    Call,
    CallbackItem,
    CallbackStatus,
    CallEvent,
    CallState,
    Direction,
    Outcome,
    RejectedRequest,
)
from hotline.crypto import phone_q, phones_q

from .harness import wait_for

DEADLINE = 60


def _finished(caller: str):
    return Call.objects.filter(phone_q(caller, "caller"), state=CallState.FINISHED).first()


def _events(call) -> dict:
    return {e.type: e for e in CallEvent.objects.filter(call=call)}


def _ms(at) -> int:
    # Kamailio's wait clock: milliseconds on seconds that wrap every 100,000 s.
    return (int(at.timestamp()) % 100_000) * 1000 + at.microsecond // 1000


def test_sip_an_answered_call_is_recorded_with_its_agent_and_talk_time(call_center):
    # given the queue's two agents' phones, ready
    stack = call_center.stack
    # when a citizen calls 12345, is answered and talks for two seconds
    result = stack.citizens_call("citizen_talk.xml", caller_prefix="1380013800", pause_ms=2000)
    # then sipp saw the call through, and the product has it answered by the seat that rang
    assert result.returncode == 0, stack.logs()
    call = wait_for(lambda: _finished("13800138001"), timeout=DEADLINE, what="the call")
    events = _events(call)
    assert sorted(events) == ["answered", "ended", "offered", "ringing"]
    seat = events["answered"].payload["agent"]
    assert seat in stack.agent_seats
    assert call.direction == Direction.INBOUND
    assert call.outcome == Outcome.ANSWERED
    assert call.called == "12345"
    assert call.queue == call_center.queue
    assert call.seat == call_center.seats[seat]
    assert call.agent == call_center.agents[seat]
    assert call.center == call_center.center
    assert call.is_error is False
    assert call.cause == "citizen_hangup"
    talk = (events["ended"].at - events["answered"].at).total_seconds()
    assert talk >= 2
    assert call.talk_seconds == round(talk)
    assert call.event_count == 4


def test_sip_a_citizen_who_hangs_up_while_waiting_is_abandoned_and_called_back(call_center):
    # given agents' phones that ring without answering (the call asks them so)
    stack = call_center.stack
    # when the citizen waits six and a half seconds, longer than a short abandon, and hangs up
    result = stack.citizens_call("citizen_abandon.xml", caller_prefix="1390013900", pause_ms=6500)
    # then the call is abandoned with Kamailio's wait time, and the citizen is in 回拨
    assert result.returncode == 0, stack.logs()
    call = wait_for(lambda: _finished("13900139001"), timeout=DEADLINE, what="the call")
    events = _events(call)
    assert sorted(events) == ["abandoned", "offered", "ringing"]
    wait = events["abandoned"].payload["wait_seconds"]
    assert wait == (_ms(events["abandoned"].at) - _ms(events["offered"].at) + 500) // 1000
    assert wait >= 6
    assert call.outcome == Outcome.ABANDONED
    assert call.wait_seconds == wait
    assert call.answered_at is None
    assert call.talk_seconds == 0
    item = CallbackItem.objects.get(call=call)
    assert item.number == "13900139001"
    assert item.status == CallbackStatus.OPEN
    assert item.reason == Outcome.ABANDONED
    assert item.center == call_center.center


def test_sip_fifty_calls_at_ten_a_second_are_each_recorded_once(call_center):
    # given the queue's two agents' phones, ready
    stack = call_center.stack
    # when fifty citizens call at ten calls a second, each talking a second
    result = stack.citizens_call(
        "citizen_talk.xml", caller_prefix="1370000", calls=50, rate=10, pause_ms=1000
    )
    # then every call is recorded once, answered, with its four events and no other
    assert result.returncode == 0, stack.logs()
    callers = {f"1370000{n}" for n in range(1, 51)}
    ours = Call.objects.filter(phones_q(callers, "caller"))  # numbers are stored encrypted
    wait_for(
        lambda: ours.filter(state=CallState.FINISHED).count() == 50,
        timeout=DEADLINE,
        what="fifty finished calls",
    )
    assert ours.count() == 50
    assert set(ours.values_list("caller", flat=True)) == callers
    assert set(ours.values_list("outcome", flat=True)) == {Outcome.ANSWERED}
    assert set(ours.values_list("event_count", flat=True)) == {4}
    events = CallEvent.objects.filter(call__in=ours)
    assert events.count() == 200
    assert events.values("event_id").distinct().count() == 200
    for type_ in ("offered", "ringing", "answered", "ended"):
        assert events.filter(type=type_).values("call").distinct().count() == 50
    assert set(ours.values_list("seat__code", flat=True)) == set(stack.agent_seats)
    assert not RejectedRequest.objects.filter(platform_code=call_center.platform.code).exists()
