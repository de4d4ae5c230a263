"""Calls per half hour next week, from the weeks before: the input of the staffing plan.

A hotline's day has a shape (the 9 o'clock peak, the lunch dip) that depends on the kind of
day more than on the date: Monday is heavier than Friday, a Saturday is not a Sunday, and a
legal holiday or a make-up workday (调休) looks like neither the weekday it falls on nor the
weekend. So each day is given a kind from the working-day calendar, and a half hour of a day
to come is forecast from the same half hour of the latest days of the same kind, the most
recent weighing most. Days of an incident (a surge that will not repeat) are left out.
Pure functions: the caller passes the history and the calendar's `is_workday`.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .erlang import Staffing, agents_needed

SLOTS = 48  # half hours in a day
HALF_HOUR = 1800


def day_kind(day: dt.date, is_workday: Callable[[dt.date], bool]) -> str:
    """'mon'…'fri' for ordinary workdays, 'makeup' for a weekend workday (调休),
    'sat'/'sun' for ordinary weekends, 'holiday' for a weekday off."""
    weekday = day.weekday()
    working = is_workday(day)
    if weekday < 5:
        return ("mon", "tue", "wed", "thu", "fri")[weekday] if working else "holiday"
    return "makeup" if working else ("sat", "sun")[weekday - 5]


# Where a kind has no history yet, the nearest kind stands in for it.
FALLBACK = {
    "makeup": ("mon", "tue", "wed", "thu", "fri"),
    "holiday": ("sun", "sat"),
    "sat": ("sun", "holiday"),
    "sun": ("sat", "holiday"),
}


def forecast_day(
    day: dt.date,
    history: Mapping[dt.date, list[float]],
    is_workday: Callable[[dt.date], bool],
    *,
    exclude: Iterable[dt.date] = (),
    depth: int = 6,
    decay: float = 0.6,
) -> list[float]:
    """The expected calls in each half hour of `day`.

    `history` maps past days to their 48 half-hour counts; `exclude` lists days to ignore
    (incidents). The latest `depth` days of the same kind are averaged with weights
    1, decay, decay², … (newest first).
    """
    skip = set(exclude)
    past = sorted((d for d in history if d < day and d not in skip), reverse=True)
    kinds = {d: day_kind(d, is_workday) for d in past}
    kind = day_kind(day, is_workday)
    for candidate in (kind, *FALLBACK.get(kind, ())):
        same = [d for d in past if kinds[d] == candidate][:depth]
        if same:
            break
    else:
        same = past[:depth]
    if not same:
        return [0.0] * SLOTS
    weights = [decay**i for i in range(len(same))]
    total = sum(weights)
    days = [_counts(history[d]) for d in same]
    return [
        sum(w * counts[slot] for w, counts in zip(weights, days, strict=True)) / total
        for slot in range(SLOTS)
    ]


def _counts(values: list[float]) -> list[float]:
    if len(values) != SLOTS:
        raise ValueError(f"a day has {SLOTS} half hours, got {len(values)}")
    return values


@dataclass(frozen=True)
class SlotPlan:
    day: dt.date
    slot: int  # 0 = 00:00–00:30 local time
    calls: float
    staffing: Staffing

    @property
    def start(self) -> dt.time:
        return dt.time(self.slot // 2, 30 * (self.slot % 2))


def plan_week(
    start: dt.date,
    history: Mapping[dt.date, list[float]],
    is_workday: Callable[[dt.date], bool],
    *,
    aht_seconds: float,
    target_level: float = 0.8,
    target_seconds: float = 15,
    max_occupancy: float = 0.85,
    shrinkage: float = 0.0,
    exclude: Iterable[dt.date] = (),
) -> list[SlotPlan]:
    """Forecast calls and agents needed for every half hour of the 7 days from `start`."""
    exclude = list(exclude)
    plans = []
    for offset in range(7):
        day = start + dt.timedelta(days=offset)
        for slot, calls in enumerate(forecast_day(day, history, is_workday, exclude=exclude)):
            staffing = agents_needed(
                calls=calls,
                aht_seconds=aht_seconds,
                target_level=target_level,
                target_seconds=target_seconds,
                period_seconds=HALF_HOUR,
                max_occupancy=max_occupancy,
                shrinkage=shrinkage,
            )
            plans.append(SlotPlan(day, slot, calls, staffing))
    return plans
