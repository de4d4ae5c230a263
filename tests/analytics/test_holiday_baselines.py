"""Spike baselines follow the holiday calendar (the State Council's 2026 notice): a 调休
working Saturday is compared with working days, a holiday with days off, and an ordinary day
with the same weekday of the weeks before without the holidays among them."""

import datetime as dt

import pytest

from hotline.analytics import series, stats, warnings
from hotline.catalog import calendar

pytestmark = pytest.mark.django_db

WORKING, DAY_OFF = 30, 10  # demands per day of each kind in the constructed series


@pytest.fixture
def real_calendar(monkeypatch, province):
    monkeypatch.setattr(warnings, "is_workday", calendar.is_workday)  # undo plain_weeks
    assert calendar.is_covered(2026)


def cells_with(special: dict[dt.date, int]) -> series.Cells:
    """Sixteen weeks up to 2026-10-31 at the usual volume of each day's kind, but `special`."""
    cells = series.Cells()
    day, n = dt.date(2026, 7, 1), 0
    while day <= dt.date(2026, 10, 31):
        count = special.get(day, WORKING if calendar.is_workday(day) else DAY_OFF)
        cells.ids[(1, 1, day)] = list(range(n, n + count))
        n += count
        day += dt.timedelta(days=1)
    return cells


def flagged_days(monkeypatch, cells, days) -> list[dt.date]:
    saved = []
    monkeypatch.setattr(warnings, "_save", lambda **kw: saved.append(kw["day"]) or 1)
    warnings.detect_spikes(cells, days, now=None)
    return saved


def test_baseline_days_by_kind(real_calendar):
    saturday = dt.date(2026, 10, 10)  # 调休: a working Saturday
    days, how = warnings.baseline_days(saturday)
    assert all(calendar.is_workday(d) for d in days) and len(days) == 8
    assert max(days) == dt.date(2026, 10, 9) and "调休" in how
    holiday = dt.date(2026, 10, 2)  # a Friday of the National Day holiday
    days, how = warnings.baseline_days(holiday)
    assert not any(calendar.is_workday(d) for d in days) and max(days) == dt.date(2026, 10, 1)
    thursday = dt.date(2026, 10, 15)  # its weeks include 10-01, a holiday Thursday
    days, how = warnings.baseline_days(thursday)
    assert dt.date(2026, 10, 1) not in days and len(days) == 7
    assert all(d.weekday() == 3 for d in days) and "同为工作日" in how


def test_a_working_saturday_at_working_volume_is_no_spike(real_calendar, monkeypatch):
    cells = cells_with({})
    assert flagged_days(monkeypatch, cells, [dt.date(2026, 10, 10)]) == []
    # Against the Saturdays before it, as the detector used to compare, it would be one.
    saturdays = [cells.count(1, 1, dt.date(2026, 10, 10) - dt.timedelta(weeks=k))
                 for k in range(1, 9)]  # fmt: skip
    assert stats.flagged([stats.spike(WORKING, saturdays)]) == [True]


def test_a_surge_on_a_holiday_is_found_against_days_off(real_calendar, monkeypatch):
    surge = dt.date(2026, 10, 3)
    cells = cells_with({surge: 28})  # a busy working day's volume, on a holiday
    assert flagged_days(monkeypatch, cells, [surge]) == [surge]


def test_the_thursday_after_a_holiday_thursday_keeps_its_usual_baseline(real_calendar, monkeypatch):
    cells = cells_with({dt.date(2026, 10, 15): 34})
    assert flagged_days(monkeypatch, cells, [dt.date(2026, 10, 15)]) == []
