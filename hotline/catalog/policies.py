"""Which time-limit policy applies to a demand, and the deadlines it gives.

`policy_for` runs on every ticket registration, so the policy rows and the set of utility
categories are held in process memory. `invalidate()` drops them at once; the admin calls it
from save_model/delete_model and the catalog services call it after they write. Other worker
processes pick a change up within CACHE_SECONDS (no signals: the project avoids them).

Resolution order, most specific first:
1. a utility row (utility_only=True) when the category or one of its ancestors is_utility,
   for the ticket's region, then each ancestor region, then the province default;
2. the general row for the ticket's region, then each ancestor region, then the province
   default.
Utility rows come first because the short utility acknowledgement is a property of the
demand (no water, no heating): a city that overrides its general complaint limit must not
silently lose it. A region that wants its own utility limits adds utility rows of its own.
"""

import datetime as dt
import threading
import time
from typing import Any

from hotline.errors import ErrorCode, HotlineError

from . import calendar
from .models import Category, TimeLimitPolicy

CACHE_SECONDS = 60.0

_PolicyKey = tuple[str, str, bool, str | None]  # appeal type, urgency, utility_only, region code

_lock = threading.Lock()
_cache: tuple[float, dict[_PolicyKey, TimeLimitPolicy], frozenset[int]] | None = None


class PolicyNotFound(HotlineError, LookupError):
    """No policy row matches: the province defaults are missing (a configuration fault)."""

    status = 500
    code = ErrorCode.NOT_FOUND

    def __init__(self, appeal_type: str, urgency: str):
        super().__init__(
            f"未配置时限规则：诉求类型 {appeal_type}，紧急程度 {urgency}（请加载默认时限规则）",
            f"no time-limit policy for appeal type {appeal_type}, urgency {urgency}"
            " (load the default policies)",
            field="appeal_type",
        )


def invalidate() -> None:
    """Drop the in-memory policies and utility categories; the next call reads them again."""
    global _cache
    _cache = None


def _load() -> tuple[dict[_PolicyKey, TimeLimitPolicy], frozenset[int]]:
    """The policy table and the ids of utility categories, refreshed every CACHE_SECONDS."""
    global _cache
    now = time.monotonic()
    cache = _cache
    if cache is not None and now - cache[0] < CACHE_SECONDS:
        return cache[1], cache[2]
    with _lock:
        cache = _cache  # another thread may have reloaded while this one waited
        if cache is not None and now - cache[0] < CACHE_SECONDS:
            return cache[1], cache[2]
        table: dict[_PolicyKey, TimeLimitPolicy] = {}
        for policy in TimeLimitPolicy.objects.select_related("region").order_by("id"):
            region_code = policy.region.code if policy.region_id else None
            key = (policy.appeal_type, policy.urgency, policy.utility_only, region_code)
            table.setdefault(key, policy)  # constraints make keys unique; be deterministic anyway
        _cache = (now, table, _utility_category_ids())
        return _cache[1], _cache[2]


def _utility_category_ids() -> frozenset[int]:
    """Ids of the categories that are utility themselves or sit below a utility category."""
    rows = list(Category.objects.values_list("id", "parent_id", "is_utility"))
    parent = {pk: parent_id for pk, parent_id, _ in rows}
    flagged = {pk for pk, _, is_utility in rows if is_utility}
    result: set[int] = set()
    for pk in parent:
        node, seen = pk, set()
        while node is not None and node not in seen:  # `seen` guards against a bad cycle
            if node in flagged:
                result.add(pk)
                break
            seen.add(node)
            node = parent.get(node)
    return frozenset(result)


def is_utility_category(category: Category | int | None) -> bool:
    """True if the category or one of its ancestors is about water, power, gas or heating."""
    if category is None:
        return False
    if getattr(category, "is_utility", False):
        return True
    _, utility_ids = _load()
    return getattr(category, "pk", category) in utility_ids


def _region_chain(region: Any) -> list[str | None]:
    """Region codes from the region itself up to the root, then None (province default)."""
    if region is None:
        return [None]
    codes = [code for code in (region.path or "").split("/") if code] or [region.code]
    return [*reversed(codes), None]


def policy_for(
    *,
    appeal_type: str,
    urgency: str,
    category: Category | int | None = None,
    region: Any = None,
) -> TimeLimitPolicy:
    """The most specific policy for a demand; the returned row is shared, do not modify it."""
    table, _ = _load()
    chain = _region_chain(region)
    kinds = (True, False) if is_utility_category(category) else (False,)
    for utility_only in kinds:
        for region_code in chain:
            policy = table.get((appeal_type, urgency, utility_only, region_code))
            if policy is not None:
                return policy
    raise PolicyNotFound(appeal_type, urgency)


def deadlines(*, policy: TimeLimitPolicy, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(acknowledge deadline, handling deadline) in UTC, both counted from `start`."""
    return (
        calendar.add_limit(start, policy.ack_value, policy.ack_unit),
        calendar.add_limit(start, policy.handle_value, policy.handle_unit),
    )
