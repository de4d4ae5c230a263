"""The region table (行政区划): load `fixtures/regions.csv` into Region rows.

The CSV holds Fujian province, its nine cities and 平潭综合实验区 (九市一区), every county and
every town; where it comes from is written in `fixtures/README.md`. Lines starting with `#`
are comments.
"""

import csv
import time
from collections.abc import Collection
from pathlib import Path

from django.db import transaction

from .models import Region, RegionLevel

REGIONS_CSV = Path(__file__).resolve().parent / "fixtures" / "regions.csv"

# Parents come before children when rows are handled level by level in this order.
LEVEL_ORDER = [RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWN]


def read_regions(path: Path | str = REGIONS_CSV) -> list[dict[str, str]]:
    """The rows of a region CSV (code, name, level, parent_code), comments skipped."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = (line for line in f if not line.startswith("#"))
        rows = [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]
    levels = set(RegionLevel.values)
    for row in rows:
        if row["level"] not in levels:
            raise ValueError(f"区划 {row['code']} 的层级无效 / bad level: {row['level']!r}")
    return rows


def load_regions(
    path: Path | str = REGIONS_CSV, *, town_counties: Collection[str] | None = None
) -> dict[str, int]:
    """Upsert the regions of a CSV, parents first; return how many were created and updated.

    `town_counties` limits the towns to those of the given county codes (an empty collection
    loads no town); None loads them all. Running it twice changes nothing the second time.
    `path` is computed as `Region.save` does, so bulk writes keep the same invariant.
    """
    rows = read_regions(path)
    if town_counties is not None:
        keep = set(town_counties)
        rows = [r for r in rows if r["level"] != RegionLevel.TOWN or r["parent_code"] in keep]

    created = updated = 0
    with transaction.atomic():
        known = {r.code: r for r in Region.objects.filter(code__in=_codes_with_parents(rows))}
        for level in LEVEL_ORDER:
            batch = [r for r in rows if r["level"] == level]
            new, changed = [], []
            for row in batch:
                parent = known.get(row["parent_code"]) if row["parent_code"] else None
                if row["parent_code"] and parent is None:
                    raise ValueError(
                        f"区划 {row['code']} 的上级 {row['parent_code']} 不存在 / unknown parent"
                    )
                path_ = (parent.path if parent else "") + row["code"] + "/"
                region = known.get(row["code"])
                if region is None:
                    region = Region(
                        code=row["code"], name=row["name"], level=level, parent=parent, path=path_
                    )
                    new.append(region)
                elif (region.name, region.level, region.parent_id, region.path) != (
                    row["name"],
                    level,
                    parent.pk if parent else None,
                    path_,
                ):
                    region.name, region.level, region.parent, region.path = (
                        row["name"],
                        level,
                        parent,
                        path_,
                    )
                    changed.append(region)
            if new:
                Region.objects.bulk_create(new, batch_size=500)
                if any(r.pk is None for r in new):  # backends that return no primary keys
                    ids = dict(
                        Region.objects.filter(code__in=[r.code for r in new]).values_list(
                            "code", "pk"
                        )
                    )
                    for r in new:
                        r.pk = ids[r.code]
            if changed:
                Region.objects.bulk_update(
                    changed, ["name", "level", "parent", "path"], batch_size=500
                )
            for region in new + changed:
                known[region.code] = region
            created += len(new)
            updated += len(changed)
    return {"created": created, "updated": updated, "total": len(rows)}


def _codes_with_parents(rows: list[dict[str, str]]) -> set[str]:
    return {r["code"] for r in rows} | {r["parent_code"] for r in rows if r["parent_code"]}


# Regions change a few times a year; registration looks one up on every ticket.
REGION_CACHE_SECONDS = 60.0
_region_cache: tuple[float, dict[str, Region]] | None = None


def region_by_code(code: str) -> Region | None:
    """The region with this code, from an in-process table refreshed every minute."""
    global _region_cache
    now = time.monotonic()
    if _region_cache is None or now - _region_cache[0] > REGION_CACHE_SECONDS:
        _region_cache = (now, {r.code: r for r in Region.objects.all()})
    found = _region_cache[1].get(code)
    if found is None:
        # A region added a moment ago in another process: look in the table itself.
        found = Region.objects.filter(code=code).first()
    return found


def invalidate_region_cache() -> None:
    global _region_cache
    _region_cache = None
