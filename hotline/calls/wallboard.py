"""话务监控: the live picture of a center (and the centers below it) or of the province."""

from django.db.models import Count, Min
from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.orgs.models import Unit

from . import figures
from .models import AgentSession, Call


def centers_under(center: Unit | None):
    """The centers a wallboard covers: `center` and below, or every one (None = province)."""
    units = Unit.objects.all()
    return units if center is None else units.filter(path__startswith=center.path)


def snapshot(center: Unit | None, now=None) -> dict:
    """Calls waiting, the longest wait, agents by state, today's figures and hourly series."""
    now = now or timezone.now()
    today = to_local(now).date()
    centers = None if center is None else centers_under(center)
    # `ended_at` is what the `call_live` index is bounded by; a finished call has one.
    live = Call.objects.filter(ended_at=None, direction="inbound").exclude(state="finished")
    sessions = AgentSession.objects.filter(ended_at=None)
    if centers is not None:
        live = live.filter(center__in=centers)
        sessions = sessions.filter(center__in=centers)
    waiting = live.filter(state__in=("queued", "ringing")).aggregate(
        n=Count("id"), oldest=Min("offered_at")
    )
    oldest = waiting["oldest"]
    agents = dict.fromkeys(("ready", "break", "after_call", "on_call"), 0)
    for row in sessions.values("state").annotate(n=Count("id")):
        agents[row["state"]] = row["n"]
    # Today's figures from the rollup (kept in the calls' own transactions, so current): a
    # center's day is at most 24 rows, where the calls are tens of thousands at a province.
    whole, by_hour = figures.summed_views(
        centers=centers, day_from=today, day_to=today, views=[None, ["hour"]]
    )
    return {
        "center": {"id": center.pk, "name": center.name} if center else None,
        "at": now.isoformat(),
        "waiting": waiting["n"],
        "longest_wait_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "talking": live.filter(state__in=("talking", "held")).count(),
        "agents": agents,
        "today": whole[0],
        "hourly": figures.hours_of(by_hour),
    }
