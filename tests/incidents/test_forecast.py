"""The half-hour forecast follows the kind of day from the calendar, not the date."""

import datetime as dt

import pytest

from hotline.incidents import forecast

# 2026: 1 October (Thursday) is 国庆节; Sunday 27 September is a make-up workday.
HOLIDAYS = {dt.date(2026, 10, d) for d in range(1, 8)}
MAKEUP = {dt.date(2026, 9, 27)}


def is_workday(day):
    if day in MAKEUP:
        return True
    return day.weekday() < 5 and day not in HOLIDAYS


def flat(n):
    return [float(n)] * forecast.SLOTS


def test_kinds_of_days():
    assert forecast.day_kind(dt.date(2026, 9, 28), is_workday) == "mon"
    assert forecast.day_kind(dt.date(2026, 9, 27), is_workday) == "makeup"
    assert forecast.day_kind(dt.date(2026, 10, 1), is_workday) == "holiday"
    assert forecast.day_kind(dt.date(2026, 9, 26), is_workday) == "sat"


def test_a_monday_from_the_mondays_before_newest_first():
    history = {dt.date(2026, 9, 7): flat(10), dt.date(2026, 9, 14): flat(20)}
    history[dt.date(2026, 9, 15)] = flat(999)  # a Tuesday: another kind
    got = forecast.forecast_day(dt.date(2026, 9, 21), history, is_workday, decay=0.5)
    # weights 1 (14 Sept) and 0.5 (7 Sept)
    assert got == [pytest.approx((20 + 0.5 * 10) / 1.5)] * forecast.SLOTS


def test_the_shape_of_the_day_is_kept():
    day = [0.0] * forecast.SLOTS
    day[18] = 50.0  # 09:00–09:30
    history = {dt.date(2026, 9, 16): day}
    got = forecast.forecast_day(dt.date(2026, 9, 23), history, is_workday)
    assert got[18] == 50.0 and sum(got) == 50.0


def test_a_holiday_weekday_looks_like_a_sunday_and_a_makeup_sunday_like_a_workday():
    history = {
        dt.date(2026, 9, 20): flat(3),  # Sunday
        dt.date(2026, 9, 24): flat(40),  # Thursday
        dt.date(2026, 9, 25): flat(40),  # Friday
    }
    assert forecast.forecast_day(dt.date(2026, 10, 1), history, is_workday)[0] == 3.0
    assert forecast.forecast_day(dt.date(2026, 9, 27), history, is_workday)[0] == 40.0


def test_incident_days_are_left_out():
    history = {dt.date(2026, 9, 14): flat(20), dt.date(2026, 9, 21): flat(200)}
    got = forecast.forecast_day(
        dt.date(2026, 9, 28), history, is_workday, exclude=[dt.date(2026, 9, 21)]
    )
    assert got[0] == 20.0


def test_a_day_without_forty_eight_half_hours_is_refused():
    with pytest.raises(ValueError, match="48"):
        forecast.forecast_day(dt.date(2026, 9, 21), {dt.date(2026, 9, 14): [1.0]}, is_workday)


def test_week_plan_staffs_each_half_hour():
    morning = [0.0] * forecast.SLOTS
    morning[18] = 100.0  # 100 calls 09:00–09:30
    history = {dt.date(2026, 9, 14) + dt.timedelta(days=i): morning for i in range(7)}
    plans = forecast.plan_week(
        dt.date(2026, 9, 21),
        history,
        is_workday,
        aht_seconds=180,
        target_seconds=20,
        max_occupancy=1.0,
    )
    assert len(plans) == 7 * forecast.SLOTS
    nine = [p for p in plans if p.slot == 18]
    assert {p.staffing.agents for p in nine} == {14}  # the worked example of test_erlang
    assert nine[0].start == dt.time(9, 0)
    assert {p.staffing.agents for p in plans if p.slot != 18} == {0}
