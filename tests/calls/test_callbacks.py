"""回拨: which calls make an item, its time limit, taking it, dialing, recording the outcome."""

import datetime as dt

import pytest

from hotline.calls import agents, callbacks, dialing
from hotline.calls.models import Call, CallbackItem, DialRequest

from .conftest import T0, event, offered


@pytest.mark.parametrize(
    ("events", "made"),
    [
        pytest.param(
            [offered("x", "x1", 0), event("x", "x2", "abandoned", 40)], True, id="abandoned-40s"
        ),
        pytest.param(
            [offered("x", "x1", 0), event("x", "x2", "abandoned", 4)], False, id="short-4s"
        ),
        pytest.param(
            [offered("x", "x1", 0), event("x", "x2", "voicemail", 2)], True, id="voicemail"
        ),
        pytest.param(
            [
                offered("x", "x1", 0),
                event("x", "x2", "answered", 5, agent="1001"),
                event("x", "x3", "ended", 50),
            ],
            False,
            id="answered",
        ),
        pytest.param([offered("x", "x1", 0)], False, id="still-waiting"),
    ],
)
def test_abandons_past_the_threshold_and_voicemail_make_a_callback(post, events, made):
    post(events)

    assert CallbackItem.objects.filter(call__platform_call_id="x").exists() is made


def test_the_callback_limit_counts_working_hours_on_the_calendar(post, settings):
    # Abandoned Monday 17:01 in 福州; 4 working hours: 29 min to 17:30, then Tuesday
    # 09:00–12:00 (3 h) and the last 31 min from 13:30.
    settings.CALLS_CALLBACK_WORKING_HOURS = 4
    post([offered("y", "y1", 0), event("y", "y2", "abandoned", 60)])

    item = CallbackItem.objects.get()
    assert item.created_at == T0 + dt.timedelta(seconds=60)
    assert callbacks.due_at(item.created_at) == item.due_at
    assert (
        item.due_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%m-%d %H:%M")
        == "10-13 14:01"
    )
    assert (item.number, item.reason, item.status) == ("13800000001", "abandoned", "open")


def test_the_callback_limit_in_natural_hours_when_set(post, settings):
    settings.CALLS_CALLBACK_HOURS = 2
    post([offered("y", "y1", 0), event("y", "y2", "abandoned", 60)])

    assert CallbackItem.objects.get().due_at == T0 + dt.timedelta(seconds=60, hours=2)


def test_a_late_answered_event_withdraws_an_untouched_callback(post):
    post([offered("z", "z1", 0), event("z", "z2", "ended", 40)])
    assert CallbackItem.objects.count() == 1

    post([event("z", "z3", "answered", 10, agent="1001")])

    assert Call.objects.get(platform_call_id="z").outcome == "answered"
    assert CallbackItem.objects.count() == 0


@pytest.fixture
def item(post):
    post([offered("w", "w1", 0, caller="13900001111"), event("w", "w2", "abandoned", 30)])
    return CallbackItem.objects.get()


def test_an_agent_takes_dials_and_records_a_callback(province, phone, item):
    user = province.users["fz_agent"]
    agents.sign_in(user=user, seat=phone.seats["1001"])

    callbacks.take(user=user, item_id=item.pk)
    request = dialing.click_to_dial(
        user=user, number=item.number, purpose="callback", callback=item
    )
    done = callbacks.record_outcome(user=user, item_id=item.pk, status="done", note="已说明")

    assert (request.status, request.number, request.seat.code) == ("sent", "13900001111", "1001")
    assert DialRequest.objects.get().callback == item
    assert (done.status, done.attempts, done.done_by, done.outcome_note) == (
        "done",
        1,
        user,
        "已说明",
    )


def test_someone_elses_callback_cannot_be_taken(province, item):
    callbacks.take(user=province.users["fz_agent"], item_id=item.pk)

    with pytest.raises(callbacks.CallbackConflict):
        callbacks.take(user=province.users["fz_callback"], item_id=item.pk)


def test_another_citys_agent_does_not_see_the_callback(province, item):
    assert list(callbacks.queue(province.users["xm_agent"])) == []
    with pytest.raises(callbacks.NotFound):
        callbacks.take(user=province.users["xm_agent"], item_id=item.pk)
    assert CallbackItem.objects.get().status == "open"


def test_unreachable_needs_a_note(province, item):
    with pytest.raises(callbacks.InvalidInput):
        callbacks.record_outcome(
            user=province.users["fz_agent"], item_id=item.pk, status="unreachable"
        )
    assert CallbackItem.objects.get().status == "open"


def test_the_outbound_call_of_a_dial_request_is_tied_back_to_it(post, province, phone, item):
    user = province.users["fz_agent"]
    agents.sign_in(user=user, seat=phone.seats["1001"])
    request = dialing.click_to_dial(
        user=user, number=item.number, purpose="callback", callback=item
    )

    post(
        [
            event(
                "o",
                "o1",
                "outbound",
                100,
                caller="1001",
                called=item.number,
                request_id=request.request_id,
                direction="outbound",
            ),
            event("o", "o2", "answered", 110, agent="1001"),
            event("o", "o3", "ended", 200),
        ]
    )

    request.refresh_from_db()
    call = Call.objects.get(platform_call_id="o")
    assert (request.status, request.call, call.outcome) == ("answered", call, "outbound_answered")
