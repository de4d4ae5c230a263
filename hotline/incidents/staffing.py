"""The staffing plan (排班预测): calls per half hour from calls.Call, the forecast by kind of
day (forecast.py, calendar's is_workday), agents needed by Erlang C, against agents signed in.

History is counted in the database (one grouped query per center and period) so a year of
calls never comes into Python; days when an incident of the center's region was running are
left out, because a surge does not repeat.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import ExtractMinute
from django.utils import timezone

from hotline.calls.models import AgentSession, Call
from hotline.catalog import calendar
from hotline.orgs.models import Unit

from . import forecast
from .erlang import Staffing, agents_needed
from .models import Incident

LOCAL = ZoneInfo(settings.TIME_ZONE)
DEFAULT_AHT = 240.0  # seconds, until a center has answered calls of its own
HISTORY_WEEKS = 6


@dataclass(frozen=True)
class Targets:
    level: float = 0.8
    seconds: float = 15
    max_occupancy: float = 0.85
    shrinkage: float = 0.0


def _centers(center: Unit):
    return Unit.objects.filter(path__startswith=center.path)


def history(center: Unit, start: dt.date, end: dt.date) -> dict[dt.date, list[float]]:
    """Inbound calls per local half hour of each day in [start, end) that has calls, of the
    center and the centers below it."""
    rows = (
        _calls_with_minute()
        .filter(center__in=_centers(center), direction="inbound", day__gte=start, day__lt=end)
        .annotate(
            half=Case(
                When(Q(minute__gte=30), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .values("day", "hour", "half")
        .annotate(n=Count("id"))
    )
    # Only days with calls: a hotline is never silent for a whole day, so a day without any
    # is a day without records (before the platform was connected), not a quiet day.
    days: dict[dt.date, list[float]] = {}
    for row in rows:
        slots = days.setdefault(row["day"], [0.0] * forecast.SLOTS)
        slots[row["hour"] * 2 + row["half"]] = float(row["n"])
    return days


def _calls_with_minute():
    return Call.objects.annotate(minute=ExtractMinute("offered_at", tzinfo=LOCAL))


def incident_days(center: Unit, start: dt.date, end: dt.date) -> set[dt.date]:
    """Local days on which an incident overlapping the center's region was running."""
    days = set()
    path = center.region.path
    for inc in Incident.objects.prefetch_related("regions").filter(
        starts_at__date__lt=end + dt.timedelta(days=1)
    ):
        if not any(path.startswith(r.path) or r.path.startswith(path) for r in inc.regions.all()):
            continue
        first = timezone.localtime(inc.starts_at).date()
        last = timezone.localtime(inc.ends_at).date() if inc.ends_at else end
        d = max(first, start)
        while d <= min(last, end):
            days.add(d)
            d += dt.timedelta(days=1)
    return days


def average_handling(center: Unit, start: dt.date, end: dt.date) -> float:
    agg = Call.objects.filter(
        center__in=_centers(center),
        direction="inbound",
        day__gte=start,
        day__lt=end,
        answered_at__isnull=False,
    ).aggregate(
        n=Count("id"), total=Sum("talk_seconds"), hold=Sum("hold_seconds"), acw=Sum("acw_seconds")
    )
    if not agg["n"]:
        return DEFAULT_AHT
    return ((agg["total"] or 0) + (agg["hold"] or 0) + (agg["acw"] or 0)) / agg["n"]


def plan(center: Unit, start: dt.date, *, weeks: int = HISTORY_WEEKS, targets=Targets()):
    """The next 7 days from `start`: a SlotPlan per half hour, and the AHT used."""
    first = start - dt.timedelta(weeks=weeks)
    hist = history(center, first, start)
    aht = average_handling(center, first, start)
    slots = forecast.plan_week(
        start,
        hist,
        calendar.is_workday,
        aht_seconds=aht,
        target_level=targets.level,
        target_seconds=targets.seconds,
        max_occupancy=targets.max_occupancy,
        shrinkage=targets.shrinkage,
        exclude=incident_days(center, first, start),
    )
    return slots, aht


def signed_in(center: Unit) -> int:
    return AgentSession.objects.filter(center__in=_centers(center), ended_at=None).count()


@dataclass(frozen=True)
class Now:
    forecast_calls: float
    last_half_hour_calls: int
    needed: Staffing
    signed_in: int

    @property
    def extra(self) -> int:
        return max(0, self.needed.scheduled - self.signed_in)


def needed_now(center: Unit, now=None, *, targets=Targets()) -> Now:
    """Agents needed this half hour (the forecast, or the last half hour's calls when the
    surge runs above it) against the agents signed in now."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    first = today - dt.timedelta(weeks=HISTORY_WEEKS)
    hist = history(center, first, today)
    slot = local.hour * 2 + (local.minute >= 30)
    expected = forecast.forecast_day(
        today, hist, calendar.is_workday, exclude=incident_days(center, first, today)
    )[slot]
    recent = Call.objects.filter(
        center__in=_centers(center),
        direction="inbound",
        offered_at__gt=now - dt.timedelta(minutes=30),
        offered_at__lte=now,
    ).count()
    aht = average_handling(center, first, today + dt.timedelta(days=1))
    need = agents_needed(
        calls=max(expected, recent),
        aht_seconds=aht,
        target_level=targets.level,
        target_seconds=targets.seconds,
        max_occupancy=targets.max_occupancy,
        shrinkage=targets.shrinkage,
    )
    return Now(expected, recent, need, signed_in(center))
