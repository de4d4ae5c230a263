"""The report's section on the telephone (话务接听): the region's centers' calls in the
period, with the calls app's definitions (hotline/calls/figures.py, docs/calls.md)."""

import datetime as dt
from dataclasses import dataclass, field

from hotline.calls import conf
from hotline.calls import figures as call_figures
from hotline.catalog.calendar import to_local


@dataclass
class CallSection:
    totals: dict
    hourly: list[dict]  # offered / answered per local hour 0–23
    centers: list[tuple[str, dict]] = field(default_factory=list)  # (center name, figures)
    service_level_seconds: int = 15
    short_abandon_seconds: int = 5


def compute(centers, start: dt.datetime, end: dt.datetime) -> CallSection | None:
    """The section for `centers` (a Unit queryset) over [start, end); None without calls."""
    first, last = to_local(start).date(), to_local(end).date() - dt.timedelta(days=1)
    units = list(centers.order_by("code"))
    ids = [u.pk for u in units]

    whole, by_center, by_hour = call_figures.summed_views(
        centers=ids, day_from=first, day_to=last, views=[None, ["center"], ["hour"]]
    )
    totals = whole[0]
    if not totals["offered"]:
        return None
    rows = {r["center"]: r for r in by_center}
    return CallSection(
        totals=totals,
        hourly=call_figures.hours_of(by_hour),
        centers=[(u.name, rows[u.pk]) for u in units if u.pk in rows],
        service_level_seconds=conf.service_level_seconds(),
        short_abandon_seconds=conf.short_abandon_seconds(),
    )
