"""A request that starts a call inserts the call's row whole (events._lock_calls): one insert
and no update of calls_call, whose every index a placeholder and then its update wrote twice.
What the first events set off (agent, 回拨) is drawn as from the placeholder, and a row derived
from an event that could not be stored is written again from the events that were."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.calls import agents, events
from hotline.calls.models import AgentState, Call, CallbackItem
from hotline.crypto import phone_hash

from .conftest import T0, event, offered


def _call_writes() -> tuple[int, int]:
    """calls_call's rows inserted and updated so far in this transaction (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [Call._meta.db_table],
        )
        return cursor.fetchone() or (0, 0)


def test_a_call_started_by_a_request_is_inserted_whole_and_not_updated(post, phone, province):
    agent = province.users["fz_agent"]
    agents.sign_in(user=agent, seat=phone.seats["1001"])
    pg = connection.vendor == "postgresql"
    before = _call_writes() if pg else None

    with CaptureQueriesContext(connection) as queries:
        response = post(
            [
                offered("w", "w1", 0, caller="13900001111"),
                event("w", "w2", "ringing", 4, agent="1001"),
                event("w", "w3", "answered", 6, agent="1001"),
            ]
        )

    assert response.json()["accepted"] == 3
    call = Call.objects.get(platform_call_id="w")
    assert (call.state, call.seat_id, call.agent_id, call.event_count, call.wait_seconds) == (
        "talking",
        phone.seats["1001"].pk,
        agent.pk,
        3,
        6,
    )
    assert (call.caller, call.called, call.caller_hash) == (
        "13900001111",
        "12345",
        phone_hash("13900001111"),
    )
    if pg:
        inserted, updated = (now - then for now, then in zip(_call_writes(), before, strict=True))
        assert (inserted, updated) == (1, 0)
    else:
        table = Call._meta.db_table
        assert not [q for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    # The agent is moved as the placeholder's update moved it.
    session = agents.active_session(agent)
    assert (session.state, session.current_call_id) == (AgentState.ON_CALL, call.pk)


def test_a_call_abandoned_in_the_request_that_starts_it_opens_a_callback(post):
    post([offered("x", "x1", 0, caller="13900004444"), event("x", "x2", "abandoned", 40)])

    item = CallbackItem.objects.get()
    assert (item.number, item.reason) == ("13900004444", "abandoned")


def test_an_event_id_taken_by_another_call_is_left_out_of_a_new_call(post, phone):
    post([offered("a", "t1", 0, caller="13900000001")])

    response = post(
        [
            offered("b", "t1", 1, caller="13900003333"),  # the id is call a's already
            event("b", "b2", "ringing", 4, agent="1001"),
        ]
    )

    assert (response.json()["accepted"], response.json()["duplicates"]) == (1, 1)
    b = Call.objects.get(platform_call_id="b")
    assert (b.state, b.event_count, b.caller, b.caller_hash) == ("ringing", 1, "", phone_hash(""))
    assert b.offered_at == T0 + dt.timedelta(seconds=4)
    assert b.seat_id == phone.seats["1001"].pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's lock then insert")
def test_a_call_another_request_inserted_meanwhile_is_locked_as_it_is_stored(phone):
    platform = phone.platform
    theirs = []

    def new_call(call_id):
        # Another request's row, committed between our lock and our insert.
        theirs.append(
            Call.objects.create(
                platform=platform,
                platform_call_id=call_id,
                center_id=platform.center_id,
                offered_at=T0,
                day=T0.date(),
                hour=17,
                state="ringing",
                event_count=2,
            )
        )
        return events._new_call(platform, call_id, T0, None, events.Resolver(platform), 0)

    locked = events._lock_calls_pg(platform, ["m"], new_call)

    assert (locked["m"].pk, locked["m"].state, locked["m"].event_count) == (
        theirs[0].pk,
        "ringing",
        2,
    )
    assert getattr(locked["m"], "_whole", None) is None
