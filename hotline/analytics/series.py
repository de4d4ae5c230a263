"""Daily series of demands per category (level 1) and region (county), in local days."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from hotline.catalog.calendar import LOCAL_TZ, to_local
from hotline.catalog.models import Category
from hotline.orgs.models import Region
from hotline.tickets.models import Status, Ticket


@dataclass
class Cells:
    """Ticket ids per (category, region, day); category and region rolled up."""

    ids: dict[tuple[int | None, int | None, dt.date], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def count(self, category, region, day) -> int:
        return len(self.ids.get((category, region, day), ()))

    def series(self, category, region, first: dt.date, last: dt.date) -> list[int]:
        """Counts per day from `first` to `last` inclusive (zeros where none)."""
        days = (last - first).days + 1
        return [self.count(category, region, first + dt.timedelta(d)) for d in range(days)]

    def pairs(self) -> set[tuple[int | None, int | None]]:
        return {(c, r) for c, r, _ in self.ids}


def level1_of() -> dict[int, int]:
    """Category id → its level-1 ancestor's id."""
    rows = {c.id: c for c in Category.objects.only("id", "parent_id", "level")}
    out = {}
    for cid, c in rows.items():
        node = c
        while node.parent_id is not None and node.parent_id in rows:
            node = rows[node.parent_id]
        out[cid] = node.id
    return out


def county_of() -> dict[int, int]:
    """Region id → its county (a town rolls up; a city or the province stays itself)."""
    rows = {r.id: r for r in Region.objects.only("id", "parent_id", "level")}
    out = {}
    for rid, r in rows.items():
        node = r
        while node.level == "town" and node.parent_id in rows:
            node = rows[node.parent_id]
        out[rid] = node.id
    return out


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)


def cells(first: dt.date, last: dt.date, tickets=None) -> Cells:
    """Ticket ids per (level-1 category, county, local day) for days first..last inclusive.

    Merged and invalid tickets are not demands of their own and are left out.
    """
    qs = Ticket.objects.all() if tickets is None else tickets
    rows = (
        qs.filter(created_at__gte=local_midnight(first),
                  created_at__lt=local_midnight(last + dt.timedelta(days=1)))
        .exclude(status__in=[Status.MERGED, Status.INVALID])
        .order_by()
        .values_list("id", "category_id", "region_id", "created_at")
    )  # fmt: skip
    cats, regions = level1_of(), county_of()
    out = Cells()
    for pk, cat, region, at in rows.iterator(chunk_size=10_000):
        key = (cats.get(cat), regions.get(region), to_local(at).date())
        out.ids[key].append(pk)
    return out


def daily_series(tickets, first: dt.date, last: dt.date) -> dict[tuple, list[int]]:
    """Per (level-1 category id, county id): counts per day first..last, for charts."""
    c = cells(first, last, tickets)
    return {key: c.series(*key, first, last) for key in sorted(c.pairs(), key=str)}
