"""The grouped counts a report is made of: one GROUP BY statement per dimension and period.

Every function takes the report's ticket queryset (already limited to the region) and a
[start, end) range on `created_at`, which is indexed; nothing iterates over tickets in Python.
"""

import datetime as dt
import time

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate

from hotline.catalog.calendar import LOCAL_TZ
from hotline.catalog.models import Category
from hotline.orgs.models import Region
from hotline.tickets.models import OPEN_STATUSES, Satisfaction, Status

RATED = [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED]
GOOD = [Satisfaction.SATISFIED, Satisfaction.BASICALLY]


def in_period(qs, start, end):
    return qs.filter(created_at__gte=start, created_at__lt=end)


def grouped(qs, start, end, field: str) -> dict:
    """{value of `field`: tickets registered in the period}."""
    # COUNT(*), not COUNT(id): with an index covering the grouped column, no heap access.
    rows = in_period(qs, start, end).order_by().values(field).annotate(n=Count("*"))
    return {r[field]: r["n"] for r in rows}


def daily(qs, start, end) -> dict[dt.date, int]:
    """Tickets per local calendar day."""
    rows = (
        in_period(qs, start, end)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=LOCAL_TZ))
        .values("day")
        .annotate(n=Count("id"))
    )
    return {r["day"]: r["n"] for r in rows}


def totals(qs, start, end, now) -> dict[str, int]:
    """One pass over the period's tickets for every plain count of the report."""
    cutoff = min(end, now)
    late = Q(handle_deadline__lt=cutoff) & (
        Q(replied_at__isnull=True) | Q(replied_at__gt=F("handle_deadline"))
    )
    return in_period(qs, start, end).aggregate(
        volume=Count("id"),
        closed=Count("id", filter=Q(status=Status.CLOSED)),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        invalid=Count("id", filter=Q(status=Status.INVALID)),
        merged=Count("id", filter=Q(status=Status.MERGED)),
        overdue=Count("id", filter=late),
        overdue_open=Count("id", filter=late & Q(status__in=OPEN_STATUSES)),
        supervised=Count("id", filter=Q(is_supervised=True)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
        rated=Count("id", filter=Q(satisfaction__in=RATED)),
        good=Count("id", filter=Q(satisfaction__in=GOOD)),
        unreachable=Count("id", filter=Q(satisfaction=Satisfaction.UNREACHABLE)),
        replied=Count("id", filter=Q(replied_at__isnull=False)),
    )


# The category tree and the regions change through the admin a few times a year; every
# dashboard call folding counts into them would read them again. Kept this long per process.
TREE_SECONDS = 300
_trees: dict = {}


def _cached(key, build, needed=()):
    """The kept value, unless it is old or lacks one of the `needed` ids (a new row)."""
    hit = _trees.get(key)
    fresh = hit is not None and hit[0] > time.monotonic()
    if fresh and all(k is None or k in hit[1] for k in needed):
        return hit[1]
    value = build()
    _trees[key] = (time.monotonic() + TREE_SECONDS, value)
    return value


def category_tops(needed=()) -> dict[int, Category]:
    """{category id: its first-level ancestor}, from one read of the (small) tree."""
    return _cached("categories", _category_tops, needed)


def _category_tops() -> dict[int, Category]:
    rows = {c.pk: c for c in Category.objects.only("id", "code", "name", "level", "parent_id")}
    tops = {}
    for pk, c in rows.items():
        top = c
        while top.parent_id is not None and top.parent_id in rows:
            top = rows[top.parent_id]
        tops[pk] = top
    return tops


def region_parts(region: Region, needed=()) -> tuple[dict[int, Region], list[Region]]:
    """({region id in the subtree: the child of `region` it lies in}, the children).

    The region itself maps to itself: its own tickets are shown as 本级."""
    key = ("regions", region.pk, region.path)
    hit = _cached(key, lambda: _region_parts(region))
    if any(k is not None and k not in hit[0] for k in needed):
        _trees.pop(key, None)  # a region added since: read the tree again
        hit = _cached(key, lambda: _region_parts(region))
    return hit


def _region_parts(region: Region) -> tuple[dict[int, Region], list[Region]]:
    children = list(Region.objects.filter(parent=region).order_by("code"))
    by_path = {c.path: c for c in children}
    depth = region.path.count("/")
    parts = {region.pk: region}
    for pk, path in Region.objects.filter(path__startswith=region.path).values_list("id", "path"):
        head = "/".join(path.split("/")[: depth + 1]) + "/"
        if head in by_path:
            parts[pk] = by_path[head]
    return parts, children
