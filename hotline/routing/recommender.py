"""Unit recommendation: category → kind of department (editable mapping), region → the unit.

A category goes to the department of its mapped function at the demand's county if that
county has one, else at its city; a category without a mapped department, or a function
missing at both levels, goes to the region's fallback unit (兜底). Each unit's confidence is
the probability mass of the categories that lead to it, so the top three add up to at most 1.
"""

import time
from dataclasses import dataclass, field

from hotline.orgs.models import Region, RegionLevel, Unit, UnitKind

from . import taxonomy
from .classifier import Prediction

FALLBACK = "fallback"
CACHE_SECONDS = 60.0


@dataclass
class UnitSuggestion:
    code: str
    name: str
    confidence: float
    reason: str
    function: str
    categories: list[str] = field(default_factory=list)


class _Tables:
    def __init__(self):
        from .models import CategoryFunction

        self.mapping = dict(CategoryFunction.objects.values_list("category_code", "function"))
        self.rules = {c.category_code: c for c in CategoryFunction.objects.all()}
        self.units: dict[tuple[int, str], Unit] = {}
        for u in (
            Unit.objects.filter(is_active=True)
            .exclude(kind__in=[UnitKind.CENTER, UnitKind.SUBCENTER, UnitKind.OFFICE])
            .exclude(function="")
            .order_by("id")
        ):
            self.units.setdefault((u.region_id, u.function), u)
        self.regions = {
            r["id"]: r for r in Region.objects.values("id", "code", "name", "level", "parent_id")
        }


_cache: tuple[float, _Tables] | None = None


def tables() -> _Tables:
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, _Tables())
    return _cache[1]


def invalidate() -> None:
    global _cache
    _cache = None


def function_for(codes: list[str]) -> str:
    """The mapped function of the deepest mapped code in `codes` (root first), else fallback."""
    mapping = tables().mapping
    for code in reversed(codes):
        if code in mapping:
            return mapping[code]
    return FALLBACK


def _levels(region_id: int | None) -> list[int]:
    """The county and city around a region (town → its county → city); the province alone."""
    regions = tables().regions
    out, rid = [], region_id
    while rid is not None:
        r = regions.get(rid)
        if r is None:
            break
        if r["level"] in (RegionLevel.COUNTY, RegionLevel.CITY) or (
            r["level"] == RegionLevel.PROVINCE and not out
        ):
            out.append(rid)
        rid = r["parent_id"]
    return out


def unit_for(function: str, region_id: int | None) -> tuple[Unit | None, bool]:
    """The unit for `function` around the region, and whether it is the fallback unit."""
    units = tables().units
    levels = _levels(region_id)
    if function != FALLBACK:
        for rid in levels:
            if (rid, function) in units:
                return units[(rid, function)], False
    for rid in levels:
        if (rid, FALLBACK) in units:
            return units[(rid, FALLBACK)], True
    return None, True


def recommend(
    prediction: Prediction, *, region_id: int | None, deeper: tuple[str | None, str | None]
) -> list[UnitSuggestion]:
    """Top 3 units with confidence and a short reason (category, decisive words, place)."""
    level1 = taxonomy.level1_codes()
    region = tables().regions.get(region_id)
    place = region["name"] if region else "责任中心辖区"
    scored: dict[str, UnitSuggestion] = {}
    for rank, (label, p) in enumerate(zip(prediction.labels, prediction.probs, strict=True)):
        code = level1.get(label)
        codes = [code] if code else []
        if rank == 0 and code:
            codes += [c for c in deeper if c]
        function = function_for(codes)
        unit, is_fallback = unit_for(function, region_id)
        if unit is None:
            continue
        s = scored.get(unit.code)
        if s is None:
            s = scored[unit.code] = UnitSuggestion(unit.code, unit.name, 0.0, "", unit.function)
        s.confidence += p
        s.categories.append(label)
    out = sorted(scored.values(), key=lambda s: -s.confidence)[:3]
    for s in out:
        s.confidence = round(min(s.confidence, 1.0), 4)
        lead = s.categories[0]
        words = "、".join(prediction.reasons[:3]) if lead == prediction.label else ""
        why = f"分类「{lead}」" + (f"（关键词：{words}）" if words else "")
        if s.function == FALLBACK:
            why += "，无对应职能部门，交属地兜底单位"
        else:
            why += f"，属地：{place}"
        s.reason = why
    return out


def auto_rule(codes: list[str]):
    """The deepest mapped CategoryFunction among `codes` (its own auto-dispatch switch rules)."""
    rules = tables().rules
    for code in reversed(codes):
        if code in rules:
            return rules[code]
    return None
