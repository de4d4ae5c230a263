"""The demo's week of calls (`hotline demo`): imported through the CDR path, played through
the seats as a queue, and shown on the wallboard."""

import datetime as dt
from collections import defaultdict

import pytest

from hotline.calls import demo as calls_demo
from hotline.calls import wallboard
from hotline.calls.models import AgentSession, Call, CallbackItem, CallEvent, Seat
from hotline.catalog.calendar import to_local
from hotline.orgs.models import Unit, User
from hotline.tickets import demo

NOW = dt.datetime(2026, 10, 14, 7, 30, tzinfo=dt.UTC)  # 15:30 in 福州, a Wednesday


@pytest.fixture
def week(db):
    demo.build(tickets=0, password="demo-pass-123")
    calls_demo.load(now=NOW)
    return Unit.objects.get(code="350100-center")


def test_the_calls_come_through_the_cdr_import_and_are_over_by_now(week):
    calls = Call.objects.filter(center=week)
    assert calls.count() > 1000
    # Every call was built from the CDR's events, as a real platform's history is, but for the
    # day's last abandoned calls, which came as the platform's live events.
    live = calls.exclude(events__event_id__startswith="cdr:")
    assert live.count() == calls_demo.LIVE_ABANDONED
    assert set(live.values_list("outcome", flat=True)) == {"abandoned"}
    assert CallEvent.objects.filter(call__center=week, type="offered").count() == calls.count()
    assert not calls.filter(ended_at__gt=NOW).exists()
    assert not calls.filter(offered_at__lt=NOW - dt.timedelta(days=calls_demo.DAYS)).exists()
    outcomes = set(calls.values_list("outcome", flat=True))
    assert {"answered", "abandoned", "short_abandon"} <= outcomes


def test_no_seat_takes_a_second_call_before_the_first_is_wrapped_up(week):
    by_seat = defaultdict(list)
    for seat, start, end in Call.objects.filter(center=week, outcome="answered").values_list(
        "seat__code", "answered_at", "ended_at"
    ):
        by_seat[seat].append((start, end))
    assert set(by_seat) == {"1001", "1002", "1003", calls_demo.NIGHT_SEAT}
    wrap = dt.timedelta(seconds=calls_demo.WRAP_SECONDS)
    for spans in by_seat.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end + wrap


def test_the_demo_agent_answers_at_seat_1001_in_the_day_shift_only(week):
    answered = Call.objects.filter(center=week, outcome="answered")
    mine = answered.filter(agent__username="fz_agent")
    assert mine.exists()
    assert set(mine.values_list("seat__code", flat=True)) == {"1001"}
    for at in mine.values_list("answered_at", flat=True):
        assert calls_demo.DAY_SHIFT[0] <= to_local(at).hour < calls_demo.DAY_SHIFT[1]
    # The other seats have no demo account: their calls are the center's, nobody's own.
    assert not answered.exclude(seat__code="1001").exclude(agent=None).exists()
    # The shifts are over: the demo starts with nobody signed in.
    assert AgentSession.objects.filter(center=week).count() == calls_demo.DAYS
    assert not AgentSession.objects.filter(ended_at=None).exists()


def test_the_wallboard_shows_today_and_the_queue_answers_most_calls(week):
    board = wallboard.snapshot(week, now=NOW)
    today = to_local(NOW).date()
    offered_today = [
        c for c in Call.objects.filter(center=week) if to_local(c.offered_at).date() == today
    ]
    assert board["today"]["offered"] == len(offered_today) > 0
    assert 0.8 <= board["today"]["answer_rate"] < 1
    assert sum(h["offered"] for h in board["hourly"]) == len(offered_today)


def test_the_day_s_last_abandoned_calls_wait_in_the_callback_queue(week, client):
    items = CallbackItem.objects.filter(center=week)
    assert items.count() == calls_demo.LIVE_ABANDONED
    assert {i.status for i in items} == {"open"}
    assert all(NOW - dt.timedelta(hours=24) < i.created_at < NOW for i in items)
    # …and only there: the province center's items are its own.
    client.force_login(User.objects.get(username="fz_callback"))
    page = client.get("/calls/callbacks/").content.decode()
    shown = {
        i.call.platform_call_id
        for i in CallbackItem.objects.all()
        if f"/calls/callbacks/{i.pk}/take/" in page
    }
    assert shown == {i.call.platform_call_id for i in items}


def test_a_quiet_day_sends_no_live_batch(week):
    # The intake refuses an empty batch; a demo loaded when nothing was abandoned sends none.
    platform = Call.objects.filter(center=week).first().platform
    before = CallEvent.objects.count()
    calls_demo._send_live(platform, platform.secret, [])
    assert CallEvent.objects.count() == before


def test_loading_the_demo_again_keeps_one_week_of_calls(week):
    before = Call.objects.count()
    assert calls_demo.load(now=NOW) == before
    assert Call.objects.count() == before
    assert Seat.objects.filter(center=week).count() == 4
