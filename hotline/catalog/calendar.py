"""The working-day calendar: every time limit is computed here (architecture rule 3).

Monday to Friday are working days unless a CalendarDay says holiday; Saturday and Sunday are
rest days unless a CalendarDay says workday (调休上班). Working hours are WORKING_PERIODS,
local time in Asia/Shanghai. Callers pass and receive aware datetimes; results are in UTC.

The CalendarDay rows are read into two in-memory sets because deadlines are computed on every
ticket registration. `invalidate()` drops them at once (the admin and the services call it
after a change); other processes pick a change up within CACHE_SECONDS.
"""

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

from .models import CalendarDay, DayKind, LimitUnit

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

# Office hours of the handling units, the only time a working-hours limit runs.
WORKING_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
WORKDAY_END = WORKING_PERIODS[-1][1]
WORKING_MINUTES_PER_DAY = sum(
    (e.hour * 60 + e.minute) - (s.hour * 60 + s.minute) for s, e in WORKING_PERIODS
)

# How long a process trusts its copy of the calendar before reading it again; bounds how
# late another worker process sees an admin's change (this process sees it at once).
CACHE_SECONDS = 60.0
# A loop guard: no run of rest days is this long, so hitting it means bad calendar data.
_MAX_SCAN_DAYS = 3660

_lock = threading.Lock()
_cache: tuple[float, frozenset[dt.date], frozenset[dt.date]] | None = None
# Set in a process that must not read the database (a forked worker): the calendar it uses.
_pinned: tuple[frozenset[dt.date], frozenset[dt.date]] | None = None


def invalidate() -> None:
    """Drop the in-memory calendar so the next call reads the CalendarDay rows again."""
    global _cache
    _cache = None


def snapshot() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """The calendar as read now, for `pin` in a process that will not read it itself."""
    invalidate()
    return _days()


def pin(days: tuple[frozenset[dt.date], frozenset[dt.date]] | None) -> None:
    """Use `days` (from `snapshot`) from now on and never read the database; None unpins."""
    global _pinned
    _pinned = days


def _days() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(holidays, make-up workdays), read from the database at most every CACHE_SECONDS."""
    global _cache
    if _pinned is not None:
        return _pinned
    cache = _cache
    now = time.monotonic()
    if cache is not None and now - cache[0] < CACHE_SECONDS:
        return cache[1], cache[2]
    with _lock:
        cache = _cache  # another thread may have reloaded while this one waited
        if cache is not None and now - cache[0] < CACHE_SECONDS:
            return cache[1], cache[2]
        holidays, workdays = set(), set()
        for day, kind in CalendarDay.objects.values_list("date", "kind"):
            (holidays if kind == DayKind.HOLIDAY else workdays).add(day)
        _cache = (now, frozenset(holidays), frozenset(workdays))
        return _cache[1], _cache[2]


def is_workday(day: dt.date) -> bool:
    """True if `day` is a working day (weekday not on holiday, or a 调休 weekend day)."""
    holidays, workdays = _days()
    if day in holidays:
        return False
    if day in workdays:
        return True
    return day.weekday() < 5


def is_covered(year: int) -> bool:
    """True if the calendar holds any holiday row for `year` (its notice has been loaded)."""
    holidays, _ = _days()
    return any(day.year == year for day in holidays)


def to_local(moment: dt.datetime) -> dt.datetime:
    """An aware datetime shown in Asia/Shanghai."""
    _require_aware(moment)
    return moment.astimezone(LOCAL_TZ)


def next_workday(day: dt.date) -> dt.date:
    """The first working day strictly after `day`."""
    for _ in range(_MAX_SCAN_DAYS):
        day += dt.timedelta(days=1)
        if is_workday(day):
            return day
    raise RuntimeError(f"no working day within {_MAX_SCAN_DAYS} days after {day}")


def add_limit(start: dt.datetime, value: int, unit: str) -> dt.datetime:
    """The deadline `value` `unit`s after `start` (aware), in UTC."""
    _require_aware(start)
    if value < 0:
        raise ValueError(f"a time limit cannot be negative: {value}")
    if unit == LimitUnit.MINUTES:
        return (start + dt.timedelta(minutes=value)).astimezone(UTC)
    if unit == LimitUnit.HOURS:
        return (start + dt.timedelta(hours=value)).astimezone(UTC)
    if unit == LimitUnit.WORKING_DAYS:
        return _add_working_days(start, value)
    if unit == LimitUnit.WORKING_HOURS:
        return _add_working_minutes(start, value * 60)
    raise ValueError(f"unknown time-limit unit: {unit!r}")


def _add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    # A clerk's count: the day of receipt does not count, the limit ends when the office
    # closes on the Nth working day after it. Zero days means no time at all.
    if days == 0:
        return start.astimezone(UTC)
    day = start.astimezone(LOCAL_TZ).date()
    for _ in range(days):
        day = next_workday(day)
    return dt.datetime.combine(day, WORKDAY_END, LOCAL_TZ).astimezone(UTC)


def _add_working_minutes(start: dt.datetime, minutes: int) -> dt.datetime:
    # Walk day by day, consuming only the time inside WORKING_PERIODS of working days.
    # A limit that runs out exactly at a period's end ends there (12:00, 17:30), not at the
    # start of the next period.
    remaining = dt.timedelta(minutes=minutes)
    if not remaining:
        return start.astimezone(UTC)
    cursor = start.astimezone(LOCAL_TZ)
    day = cursor.date()
    for _ in range(_MAX_SCAN_DAYS):
        if is_workday(day):
            for begin, end in WORKING_PERIODS:
                period_start = dt.datetime.combine(day, begin, LOCAL_TZ)
                period_end = dt.datetime.combine(day, end, LOCAL_TZ)
                if cursor >= period_end:
                    continue
                segment_start = max(cursor, period_start)
                available = period_end - segment_start
                if remaining <= available:
                    return (segment_start + remaining).astimezone(UTC)
                remaining -= available
                cursor = period_end
        day += dt.timedelta(days=1)
        cursor = dt.datetime.combine(day, dt.time(0, 0), LOCAL_TZ)
    raise RuntimeError(f"no working time within {_MAX_SCAN_DAYS} days after {start}")


def working_days_between(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
    """Working days after a's day up to and including b's day; negative if b is before a."""
    start, end = _local_date(a), _local_date(b)
    if end < start:
        return -working_days_between(b, a)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return count


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return to_local(value).date()
    return value


def _require_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no place in a time limit; pass an aware one")
