"""The working-day calendar against the real 2025 and 2026 State Council holiday schedules."""

import datetime as dt

import pytest

from hotline.catalog import calendar
from hotline.catalog.models import CalendarDay, DayKind, LimitUnit
from hotline.catalog.services import clear_calendar_day, load_calendar, set_calendar_day
from hotline.errors import InvalidInput

pytestmark = pytest.mark.django_db


def local(*args) -> dt.datetime:
    """An aware Asia/Shanghai datetime, as a clerk reads the wall clock."""
    return dt.datetime(*args, tzinfo=calendar.LOCAL_TZ)


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        # Sun 09-28 is a make-up workday, 10-01..10-08 the holiday, Sat 10-11 a make-up workday.
        (local(2025, 9, 26, 10, 0), 10, local(2025, 10, 16, 17, 30)),
        (local(2025, 9, 26, 10, 0), 1, local(2025, 9, 28, 17, 30)),
        (local(2025, 9, 30, 16, 0), 1, local(2025, 10, 9, 17, 30)),
        # 2026 Spring Festival: Sat 02-14 works, 02-15..02-23 off, Sat 02-28 works.
        (local(2026, 2, 13, 10, 0), 10, local(2026, 3, 5, 17, 30)),
        (local(2026, 2, 13, 10, 0), 1, local(2026, 2, 14, 17, 30)),
        # 2026 National Day: Sun 09-20 works, 10-01..10-07 off, Sat 10-10 works.
        (local(2026, 9, 30, 9, 0), 3, local(2026, 10, 10, 17, 30)),
        (local(2026, 9, 18, 9, 0), 5, local(2026, 9, 24, 17, 30)),
        # Received on a Saturday night: the count starts with Monday.
        (local(2025, 6, 14, 22, 0), 1, local(2025, 6, 16, 17, 30)),
    ],
    ids=[
        "2025-national-day-10-days",
        "2025-make-up-sunday-is-day-1",
        "2025-holiday-week-skipped",
        "2026-spring-festival-10-days",
        "2026-make-up-saturday-is-day-1",
        "2026-national-day-3-days",
        "2026-make-up-sunday-counted",
        "weekend-start",
    ],
)
def test_working_days_end_at_close_of_the_nth_working_day(holidays, start, days, deadline):
    # Given the 2020-2026 calendar, when a working-day limit is added
    result = calendar.add_limit(start, days, LimitUnit.WORKING_DAYS)

    # then it ends at 17:30 local on the Nth working day after the start day, stored in UTC
    assert result == deadline
    assert result.tzinfo == dt.UTC


@pytest.mark.parametrize(
    ("start", "hours", "deadline"),
    [
        (local(2025, 6, 9, 11, 0), 2, local(2025, 6, 9, 14, 30)),
        (local(2025, 6, 9, 9, 0), 3, local(2025, 6, 9, 12, 0)),
        (local(2025, 6, 9, 12, 15), 1, local(2025, 6, 9, 14, 30)),
        (local(2025, 6, 9, 7, 0), 1, local(2025, 6, 9, 10, 0)),
        (local(2025, 6, 9, 17, 45), 1, local(2025, 6, 10, 10, 0)),
        (local(2025, 6, 13, 16, 30), 2, local(2025, 6, 16, 10, 0)),
        (local(2025, 6, 9, 9, 0), 7, local(2025, 6, 9, 17, 30)),
        (local(2025, 6, 9, 9, 0), 8, local(2025, 6, 10, 10, 0)),
        # Fri 10-10 17:00 + 1 h: half an hour on Friday, the rest on make-up Saturday 10-11.
        (local(2025, 10, 10, 17, 0), 1, local(2025, 10, 11, 9, 30)),
        # Tue 09-30 17:00 + 1 h: the National Day week is skipped entirely.
        (local(2025, 9, 30, 17, 0), 1, local(2025, 10, 9, 9, 30)),
    ],
    ids=[
        "across-lunch",
        "ends-at-noon",
        "starts-in-lunch",
        "starts-before-office",
        "starts-after-office",
        "over-a-weekend",
        "one-full-day",
        "a-day-and-an-hour",
        "into-make-up-saturday",
        "over-national-day",
    ],
)
def test_working_hours_count_only_office_time(holidays, start, hours, deadline):
    # Given office hours 09:00-12:00 and 13:30-17:30, when working hours are added
    result = calendar.add_limit(start, hours, LimitUnit.WORKING_HOURS)

    # then only time inside office hours of working days is consumed
    assert result == deadline


@pytest.mark.parametrize(
    ("start", "value", "unit", "deadline"),
    [
        (local(2025, 10, 1, 23, 50), 15, LimitUnit.MINUTES, local(2025, 10, 2, 0, 5)),
        (local(2025, 10, 4, 12, 0), 30, LimitUnit.MINUTES, local(2025, 10, 4, 12, 30)),
        (local(2025, 10, 4, 12, 0), 24, LimitUnit.HOURS, local(2025, 10, 5, 12, 0)),
    ],
    ids=["minutes-over-midnight-on-holiday", "minutes-on-saturday", "hours-on-holiday"],
)
def test_natural_time_ignores_the_calendar(holidays, start, value, unit, deadline):
    # Given a holiday or a weekend, when natural minutes or hours are added
    result = calendar.add_limit(start, value, unit)

    # then the clock runs straight through
    assert result == deadline


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 9, 27), False),
        (dt.date(2025, 9, 28), True),
        (dt.date(2025, 10, 1), False),
        (dt.date(2025, 10, 6), False),
        (dt.date(2025, 10, 11), True),
        (dt.date(2025, 10, 12), False),
        (dt.date(2026, 2, 14), True),
        (dt.date(2026, 2, 16), False),
        (dt.date(2026, 2, 28), True),
        (dt.date(2026, 3, 2), True),
    ],
    ids=[
        "plain-saturday",
        "make-up-sunday",
        "national-day",
        "holiday-monday",
        "make-up-saturday",
        "plain-sunday-after",
        "2026-make-up-saturday",
        "2026-spring-festival-monday",
        "2026-second-make-up-saturday",
        "2026-plain-monday",
    ],
)
def test_is_workday_follows_the_notice(holidays, day, expected):
    # Given the loaded calendar, when a day is checked, then 调休 is honoured
    assert calendar.is_workday(day) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (local(2025, 10, 16, 17, 30), local(2025, 10, 20, 9, 0), 2),
        (dt.date(2025, 9, 30), dt.date(2025, 10, 9), 1),
        (dt.date(2025, 10, 9), dt.date(2025, 10, 9), 0),
        (dt.date(2025, 10, 9), dt.date(2025, 9, 30), -1),
    ],
    ids=["overdue-over-weekend", "over-national-day", "same-day", "reversed"],
)
def test_working_days_between(holidays, a, b, expected):
    # Given two moments, when the working days between them are counted, then b's day counts
    assert calendar.working_days_between(a, b) == expected


def test_naive_datetime_is_refused(holidays):
    # Given a naive datetime, when a limit is added, then it is refused
    with pytest.raises(ValueError, match="naive"):
        calendar.add_limit(dt.datetime(2025, 10, 1, 9, 0), 1, LimitUnit.WORKING_DAYS)


def test_zero_limit_is_the_start(holidays):
    # Given a zero working-day limit, when it is added, then the deadline is the start itself
    start = local(2025, 6, 9, 10, 0)

    assert calendar.add_limit(start, 0, LimitUnit.WORKING_DAYS) == start


def test_set_and_clear_calendar_day_take_effect_at_once(holidays):
    # Given a plain Monday that the cache has already seen as a working day
    monday = dt.date(2025, 6, 9)
    assert calendar.is_workday(monday) is True

    # when it is made a holiday, then the cache knows at once
    set_calendar_day(day=monday, kind=DayKind.HOLIDAY, name="地方假日")
    assert calendar.is_workday(monday) is False

    # and when the mark is cleared, the Monday works again
    assert clear_calendar_day(day=monday) is True
    assert calendar.is_workday(monday) is True


def test_make_up_workday_on_a_weekday_is_refused(holidays):
    # Given a Tuesday, when it is marked as a make-up workday, then the input is refused
    with pytest.raises(InvalidInput) as error:
        set_calendar_day(day=dt.date(2025, 6, 10), kind=DayKind.WORKDAY)

    assert error.value.field == "date"
    assert not CalendarDay.objects.filter(date=dt.date(2025, 6, 10)).exists()


def test_load_calendar_is_idempotent(db):
    # Given an empty calendar, when the fixture is loaded twice
    first = load_calendar()
    second = load_calendar()

    # then the first run creates every row and the second changes nothing
    assert first == {"created": 254, "updated": 0}
    assert second == {"created": 0, "updated": 0}
    assert CalendarDay.objects.filter(kind=DayKind.WORKDAY).count() == 46


def test_every_make_up_workday_is_a_weekend_day(holidays):
    # Given the fixture, when its make-up workdays are read, then none falls on Monday-Friday
    weekdays = [
        d.date for d in CalendarDay.objects.filter(kind=DayKind.WORKDAY) if d.date.weekday() < 5
    ]

    assert weekdays == []


def test_2026_is_covered(holidays):
    # Given the fixture, when coverage is asked, then 2020-2026 are there
    assert [year for year in range(2020, 2027) if not calendar.is_covered(year)] == []
