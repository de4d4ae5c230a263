"""The agent's states: chosen (就绪, 小休), given by calls (通话中, 话后整理), each recorded."""

import datetime as dt

import pytest

from hotline.calls import agents
from hotline.calls.models import AgentSession, AgentStateChange, Call
from hotline.errors import InvalidInput, NotFound

from .conftest import T0, answered_call, event, offered


def states(user):
    return [
        (c.state, c.reason) for c in AgentStateChange.objects.filter(user=user).order_by("at", "id")
    ]


@pytest.fixture
def ready_agent(province, phone):
    user = province.users["fz_agent"]
    agents.sign_in(user=user, seat=phone.seats["1001"], at=T0 - dt.timedelta(minutes=5))
    agents.set_state(user=user, state="ready", at=T0 - dt.timedelta(minutes=4))
    return user


def test_sign_in_then_ready_then_break_then_sign_out_records_each_change(province, phone):
    user = province.users["fz_agent"]

    agents.sign_in(user=user, seat=phone.seats["1001"])
    agents.set_state(user=user, state="ready")
    agents.set_state(user=user, state="break", reason="用餐")
    session = agents.sign_out(user=user)

    assert states(user) == [
        ("break", "签入"),
        ("ready", ""),
        ("break", "用餐"),
        ("signed_out", ""),
    ]
    assert session.ended_at is not None
    assert AgentSession.objects.filter(user=user, ended_at=None).count() == 0


def test_one_open_session_per_seat_and_per_user(province, phone):
    agents.sign_in(user=province.users["fz_agent"], seat=phone.seats["1001"])

    with pytest.raises(agents.AgentConflict):
        agents.sign_in(user=province.users["fz_callback"], seat=phone.seats["1001"])
    with pytest.raises(agents.AgentConflict):
        agents.sign_in(user=province.users["fz_agent"], seat=phone.seats["2001"])
    assert AgentSession.objects.count() == 1


def test_a_seat_of_another_city_cannot_be_used(province, phone):
    with pytest.raises(NotFound):
        agents.sign_in(user=province.users["fz_agent"], seat=phone.seats["9001"])
    assert AgentSession.objects.count() == 0


def test_a_break_needs_a_reason(ready_agent):
    with pytest.raises(InvalidInput) as refused:
        agents.set_state(user=ready_agent, state="break", reason=" ")
    assert refused.value.field == "reason"
    assert states(ready_agent)[-1] == ("ready", "")


def test_an_answered_call_puts_the_agent_on_call_and_its_end_in_after_call_work(
    post, ready_agent, settings
):
    settings.CALLS_AFTER_CALL_SECONDS = 30
    events = answered_call("k1", wait=10, talk=60)
    post(events[:3])

    session = AgentSession.objects.get(user=ready_agent, ended_at=None)
    call = Call.objects.get(platform_call_id="k1")
    assert (session.state, session.current_call_id, call.agent_id) == (
        "on_call",
        call.pk,
        ready_agent.pk,
    )

    post(events[3:])

    session.refresh_from_db()
    assert session.state == "after_call"
    assert session.after_call_until == T0 + dt.timedelta(seconds=70 + 30)
    assert [s for s, _ in states(ready_agent)] == ["break", "ready", "on_call", "after_call"]


def test_setting_ready_ends_after_call_work_and_records_it_on_the_call(post, ready_agent):
    post(answered_call("k2", wait=10, talk=60))

    agents.set_state(user=ready_agent, state="ready", at=T0 + dt.timedelta(seconds=70 + 12))

    call = Call.objects.get(platform_call_id="k2")
    assert call.acw_seconds == 12
    assert states(ready_agent)[-1] == ("ready", "")


def test_after_call_work_expires_by_itself(post, ready_agent, settings):
    settings.CALLS_AFTER_CALL_SECONDS = 20
    post(answered_call("k3", wait=10, talk=60))

    done = agents.sweep_after_call(now=T0 + dt.timedelta(seconds=200))

    assert done == 1
    assert Call.objects.get(platform_call_id="k3").acw_seconds == 20
    last = AgentStateChange.objects.filter(user=ready_agent).order_by("-at", "-id").first()
    assert (last.state, last.at) == ("ready", T0 + dt.timedelta(seconds=90))


def test_a_call_whose_end_arrives_before_its_answer_still_ends_in_after_call_work(
    post, ready_agent
):
    events = answered_call("k4")
    post([events[3]])
    post(events[:3])

    session = AgentSession.objects.get(user=ready_agent, ended_at=None)
    assert session.state == "after_call"
    assert [s for s, _ in states(ready_agent)] == ["break", "ready", "on_call", "after_call"]


def test_an_agent_on_a_call_cannot_take_a_break_or_sign_out(post, ready_agent):
    post(answered_call("k5")[:3])

    with pytest.raises(agents.AgentConflict):
        agents.set_state(user=ready_agent, state="break", reason="用餐")
    with pytest.raises(agents.AgentConflict):
        agents.sign_out(user=ready_agent)
    assert AgentSession.objects.get(user=ready_agent, ended_at=None).state == "on_call"


def test_a_call_at_a_seat_nobody_is_signed_in_to_has_no_agent(post):
    post([offered("k6", "k6-1", 0), event("k6", "k6-2", "answered", 4, agent="1001")])

    call = Call.objects.get(platform_call_id="k6")
    assert (call.seat.code, call.agent_id, call.is_error) == ("1001", None, False)
