"""The call figures' rollup equals the figures computed from the calls, whatever the order of
the events, their repetition, a call that moves to another hour, after-call work, a CDR
import, and a change of T (read from the calls until the rebuild)."""

import datetime as dt
import random

import pytest
from django.core.management import CommandError, call_command

from hotline.calls import agents, figures, rollup, wallboard
from hotline.calls.models import AgentDayFigures, Call, CenterHourFigures, FiguresState
from hotline.evaluation import call_figures
from hotline.orgs.models import Unit

from .conftest import T0, answered_call, event, offered
from .month import load_october


def from_calls(keys):
    """The measures per key computed from the calls (the definition the rollup must keep)."""
    calls = rollup.counted(Call.objects.all())
    if "agent_id" in keys:
        calls = calls.filter(agent__isnull=False)
    grouped = calls.values(*keys).annotate(**rollup.measures(figures.conf.service_level_seconds()))
    return {
        tuple(row[k] for k in keys): tuple(row[m] for m in rollup.MEASURES)
        for row in grouped.order_by()
    }


def from_rollup(model, keys):
    # A call that left a row leaves zeros behind: the same as no row.
    return {
        tuple(row[k] for k in keys): tuple(row[m] for m in rollup.MEASURES)
        for row in model.objects.values(*keys, *rollup.MEASURES)
        if any(row[m] for m in rollup.MEASURES)
    }


def assert_rollup_is_the_calls():
    hour_keys, agent_keys = ["center_id", "day", "hour"], ["agent_id", "center_id", "day"]
    assert from_rollup(CenterHourFigures, hour_keys) == from_calls(hour_keys)
    assert from_rollup(AgentDayFigures, agent_keys) == from_calls(agent_keys)


def stream():
    """Five calls over two local hours (16:59 and 17:00 in 福州): answered within and after
    T, with a hold, abandoned, a short abandon, a voicemail, and an outbound call."""
    return [
        *answered_call("a", t=-70, wait=8, talk=90),
        offered("b", "b1", -30, caller="13900000002"),
        event("b", "b2", "ringing", 2, agent="1001"),
        event("b", "b3", "answered", 25, agent="1001"),
        event("b", "b4", "held", 40),
        event("b", "b5", "resumed", 55),
        event("b", "b6", "ended", 200),
        offered("c", "c1", 5, caller="13900000003"),
        event("c", "c2", "abandoned", 45, wait_seconds=40),
        offered("d", "d1", 10),
        event("d", "d2", "abandoned", 13),
        offered("e", "e1", 12),
        event("e", "e2", "voicemail", 30, recording="vm/e.wav"),
        event("f", "f1", "outbound", 20, direction="outbound", caller="1001", called="139"),
        event("f", "f2", "answered", 26, agent="1001"),
        event("f", "f3", "ended", 60),
    ]


@pytest.fixture
def ready_agent(province, phone):
    user = province.users["fz_agent"]
    agents.sign_in(user=user, seat=phone.seats["1001"], at=T0 - dt.timedelta(minutes=5))
    agents.set_state(user=user, state="ready", at=T0 - dt.timedelta(minutes=4))
    return user


def test_the_stream_in_order_gives_the_calls_figures(post, ready_agent):
    assert post(stream()).status_code == 200

    assert_rollup_is_the_calls()
    hours = {r.hour: r.offered for r in CenterHourFigures.objects.all()}
    assert hours == {16: 2, 17: 3}  # "a" and "b" were offered at 16:58:50 and 16:59:30 local


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 4], ids=["one-by-one", "fours"])
def test_shuffled_and_sent_twice_the_rollup_still_is_the_calls(post, ready_agent, seed, batch):
    events = stream()
    random.Random(seed).shuffle(events)

    for i in range(0, len(events), batch):
        assert post(events[i : i + batch]).status_code == 200
    for i in range(0, len(events), batch):
        assert post(list(reversed(events))[i : i + batch]).json()["accepted"] == 0

    assert_rollup_is_the_calls()
    assert sum(r.offered for r in CenterHourFigures.objects.all()) == 5


def test_a_call_whose_offer_comes_late_moves_to_the_earlier_hour(post, ready_agent):
    # 17:00:05 local answered, reported first; the offer at 16:59:50 arrives afterwards.
    post([event("m", "m2", "answered", 5, agent="1001")])
    assert [(r.hour, r.offered) for r in CenterHourFigures.objects.all()] == [(17, 1)]

    post([offered("m", "m1", -10)])

    rows = {r.hour: (r.offered, r.answered, r.wait_total) for r in CenterHourFigures.objects.all()}
    assert rows == {16: (1, 1, 15), 17: (0, 0, 0)}
    assert_rollup_is_the_calls()


def test_after_call_work_reaches_the_rollup(post, ready_agent):
    post(answered_call("w", t=0, wait=10, talk=60))

    agents.set_state(user=ready_agent, state="ready", at=T0 + dt.timedelta(seconds=95))

    assert Call.objects.get(platform_call_id="w").acw_seconds == 25
    row = AgentDayFigures.objects.get(agent=ready_agent)
    assert (row.answered, row.acw_total, row.handle_total) == (1, 25, 60 + 25)
    assert_rollup_is_the_calls()


def test_after_call_work_ended_by_the_next_answered_call(post, ready_agent, settings):
    settings.CALLS_AFTER_CALL_SECONDS = 600
    post(answered_call("x", t=0, wait=10, talk=60))

    post(answered_call("y", t=80, wait=5, talk=30))  # answered at 85 s: 15 s after "x" ended

    assert Call.objects.get(platform_call_id="x").acw_seconds == 15
    assert_rollup_is_the_calls()


def test_an_imported_cdr_file_is_in_the_rollup_and_the_scorecard_reads_it(province, settings):
    load_october(province, settings)

    assert_rollup_is_the_calls()
    fz = province.units["fz"]
    row = next(c for c in call_figures.compute(Unit.objects.all(), "2026-10") if c.unit == fz)
    assert (row.figures["offered"], row.figures["answered"], row.figures["abandoned"]) == (4, 2, 1)
    assert (row.figures["answer_rate"], row.figures["service_level"]) == (0.6667, 0.3333)
    assert (row.figures["asa_seconds"], row.figures["aht_seconds"]) == (15.0, 75.0)


def test_a_change_of_t_reads_the_calls_until_the_rebuild(post, ready_agent, settings):
    post(stream())
    day = Call.objects.first().day
    by_rollup = figures.summed(day_from=day, day_to=day)

    settings.CALLS_SERVICE_LEVEL_SECONDS = 60
    assert rollup.ready() is False
    with pytest.raises(CommandError):
        call_command("rebuild_call_figures", "--from", day.isoformat(), "--to", day.isoformat())
    from_the_calls = figures.summed(day_from=day, day_to=day)
    call_command("rebuild_call_figures")

    assert rollup.ready() is True
    assert FiguresState.objects.get().service_level_seconds == 60
    # Within 15 s: "a" (8 s of waiting); within 60 s "b" (55 s) too.
    assert by_rollup[0]["answered_within_t"] == 1
    assert from_the_calls[0]["answered_within_t"] == 2
    assert figures.summed(day_from=day, day_to=day) == from_the_calls
    assert_rollup_is_the_calls()


def test_a_repair_rebuilds_a_range_and_leaves_other_days(post, ready_agent):
    post(stream())
    day = Call.objects.first().day
    other = CenterHourFigures.objects.create(
        center_id=Call.objects.first().center_id, day=day - dt.timedelta(days=3), hour=9, offered=7
    )
    CenterHourFigures.objects.filter(day=day).update(offered=99)  # damaged

    call_command("rebuild_call_figures", "--from", day.isoformat(), "--to", day.isoformat())

    other.refresh_from_db()
    assert other.offered == 7
    assert sum(r.offered for r in CenterHourFigures.objects.filter(day=day)) == 5


def test_a_bad_day_is_refused_with_both_languages():
    with pytest.raises(CommandError, match="YYYY-MM-DD.*a day is"):
        call_command("rebuild_call_figures", "--from", "2026-13-01")


def test_several_views_from_one_read_are_each_views_own_figures(post, ready_agent):
    assert post(stream()).status_code == 200
    fz = Unit.objects.get(code="fz")
    day = T0.date()
    views = [None, ["center"], ["hour"], ["center", "hour"], ["day"]]

    found = figures.summed_views(centers=[fz.pk], day_from=day, day_to=day, views=views)

    calls = figures.calls_of(centers=[fz.pk], day_from=day, day_to=day)
    assert found == [figures.aggregate(calls, by=view) for view in views]
    assert found[2] and found[0][0]["offered"] == 5
    # no rows: the totals are zeros with no rates, the groupings empty
    empty = figures.summed_views(day_from=day + dt.timedelta(days=1), views=[None, ["hour"]])
    assert empty == [[figures.totals(Call.objects.none())], []]


def test_the_wallboard_reads_todays_figures_from_the_rollup(post, ready_agent):
    assert post(stream()).status_code == 200
    fz = Unit.objects.get(code="fz")
    now = T0 + dt.timedelta(minutes=10)
    calls = figures.calls_of(day_from=T0.date(), day_to=T0.date())

    board = wallboard.snapshot(fz, now=now)

    assert board["today"] == figures.totals(calls)
    assert board["hourly"] == figures.hourly(calls)
    assert wallboard.snapshot(None, now=now)["today"]["offered"] == 5
    # the rollup, not the calls: a call changed behind the services' back is not on the board
    Call.objects.filter(outcome="voicemail").update(day=T0.date() - dt.timedelta(days=3))
    assert wallboard.snapshot(fz, now=now)["today"]["offered"] == 5
