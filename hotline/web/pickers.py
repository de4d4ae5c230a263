"""Pickers typed into by agents: a category or a region found by its pinyin initials
(物业管理 → wygl, 鼓楼区 → glq).

The initials are computed once per process from pypinyin's data file (not by importing
pypinyin: it keeps ~55 MiB in every worker) and again when the set changes (its count or
newest id).
"""

import re
from threading import Lock

from django.db.models import Count, Max

from hotline.catalog.models import Category
from hotline.orgs.models import Region, Unit
from hotline.screening.matcher import _pinyin_table

LETTERS = re.compile(r"[A-Za-z]+")
_lock = Lock()
_built: dict = {"key": None, "rows": []}
_regions: dict = {"key": None, "rows": []}


def is_initials(q: str) -> bool:
    """Latin letters only: what an agent types for pinyin initials."""
    return bool(LETTERS.fullmatch(q))


def initials(name: str, table: dict[str, str]) -> str:
    """The first letter of each character's reading; letters and digits stay as typed."""
    out = []
    for c in name:
        reading = table.get(c)
        if reading:
            out.append(reading[0])
        elif c.isalnum():
            out.append(c)
    return "".join(out).lower()


def _rows() -> list[tuple[str, int]]:
    active = Category.objects.filter(is_active=True)
    key = tuple(active.aggregate(n=Count("id"), last=Max("id")).values())
    with _lock:
        if _built["key"] != key:
            table = _pinyin_table()
            names = active.order_by("code").values_list("full_name", "pk")
            # Each level of the path is matched on its own too (物业管理, not 城乡建设/物业管理).
            _built["rows"] = [
                ("/".join(initials(part, table) for part in full.split("/")), pk)
                for full, pk in names
            ]
            _built["key"] = key
        return _built["rows"]


def categories_by_initials(q: str, limit: int):
    """Active categories whose initials contain `q` (per path level or across the path)."""
    q = q.lower()
    hits = []
    for spelled, pk in _rows():
        if q in spelled.replace("/", "") or any(part.startswith(q) for part in spelled.split("/")):
            hits.append(pk)
    # The deepest (most specific) categories first; then by code, as the page lists them.
    return list(
        Category.objects.filter(pk__in=hits[: limit * 4]).order_by("-level", "code")[:limit]
    )


def _region_rows() -> list[tuple[str, int]]:
    key = tuple(Region.objects.aggregate(n=Count("id"), last=Max("id")).values())
    with _lock:
        if _regions["key"] != key:
            table = _pinyin_table()
            names = Region.objects.order_by("code").values_list("name", "pk")
            _regions["rows"] = [(initials(name, table), pk) for name, pk in names]
            _regions["key"] = key
        return _regions["rows"]


def regions_below(q: str, under: Region, limit: int) -> list[Region]:
    """Regions below `under` whose name contains `q`, or whose initials start with it."""
    below = Region.objects.filter(path__startswith=under.path).exclude(pk=under.pk)
    if is_initials(q):
        q = q.lower()
        hits = [pk for spelled, pk in _region_rows() if spelled.startswith(q)]
        below = below.filter(pk__in=hits)
    else:
        below = below.filter(name__contains=q)
    return list(below.order_by("path")[:limit])


_units: dict = {"key": None, "rows": {}}


def _unit_rows() -> dict[int, str]:
    """{unit id: initials of its name}, for every unit (the caller narrows to its targets)."""
    key = tuple(Unit.objects.aggregate(n=Count("id"), last=Max("id")).values())
    with _lock:
        if _units["key"] != key:
            table = _pinyin_table()
            names = Unit.objects.values_list("pk", "name")
            _units["rows"] = {pk: initials(name, table) for pk, name in names}
            _units["key"] = key
        return _units["rows"]


def units_matching(q: str, targets, limit: int) -> list[Unit]:
    """Units of `targets` (a queryset) whose name contains `q`, or whose pinyin initials do
    (鼓楼区住建局 → glqzjj: "zjj" finds every 住建局, "glq" the units of 鼓楼区)."""
    if is_initials(q):
        q = q.lower()
        rows = _unit_rows()
        hits = [pk for pk in targets.values_list("pk", flat=True) if q in rows.get(pk, "")]
        # Those whose initials start with what was typed first, then in tree order.
        hits.sort(key=lambda pk: not rows[pk].startswith(q))
        found = targets.select_related("region").in_bulk(hits[:limit])
        return [found[pk] for pk in hits[:limit]]
    return list(targets.filter(name__contains=q).select_related("region")[:limit])
