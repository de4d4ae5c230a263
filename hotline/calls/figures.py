"""Call figures with their standard (contact-center) definitions, per agent, center, day, hour.

Over the inbound calls of a period:
- offered: calls that reached the hotline (every inbound call);
- answered: calls an agent answered (answered_at set, whatever came after: transfer too);
- short abandons: hung up within CALLS_SHORT_ABANDON_SECONDS of waiting; excluded below;
- abandoned: hung up while waiting, after the short threshold; voicemail counted apart;
- answer rate = answered ÷ (offered − short abandons);
- service level = answered within T s (CALLS_SERVICE_LEVEL_SECONDS) ÷ (answered + abandoned);
- ASA (average speed of answer) = mean wait of the answered calls;
- AHT (average handling time) = mean of talk + hold + after-call work of the answered calls;
- after-call work = mean after-call work of the answered calls;
- occupancy = time handling calls (通话中 + 话后整理) ÷ time available for them
  (通话中 + 话后整理 + 就绪), from the agents' recorded states; breaks are not counted.
Rates are None when their denominator is zero. `day`/`hour` are local (Asia/Shanghai).
"""

import datetime as dt
from collections import defaultdict

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotline.catalog.calendar import to_local

from . import conf, rollup
from .models import AgentDayFigures, AgentState, AgentStateChange, Call, CenterHourFigures

GROUPS = {"center": "center_id", "agent": "agent_id", "day": "day", "hour": "hour"}


def _ratio(num, den, digits=4):
    return round(num / den, digits) if den else None


def _mean(total, n, digits=1):
    return round(total / n, digits) if n else None


def aggregate(calls, *, by: list[str] | None = None) -> list[dict]:
    """The figures of `calls` (a Call queryset), one row per value of the `by` keys."""
    keys = [GROUPS[k] for k in (by or [])]
    inbound = rollup.counted(calls)
    measures = rollup.measures(conf.service_level_seconds())
    if not keys:
        rows = [inbound.aggregate(**measures)]
    else:
        rows = inbound.values(*keys).annotate(**measures).order_by(*keys)
    return [_finish(row, keys) for row in rows]


def _raw_sums(rows, keys: list[str]) -> list[dict]:
    # Sums of the rollup's sums; the annotations are named apart from the columns they sum.
    sums = {f"s_{m}": Coalesce(Sum(m), 0) for m in rollup.MEASURES}
    if not keys:
        found = [rows.aggregate(**sums)]
    else:
        found = rows.values(*keys).annotate(**sums).order_by(*keys)
    out = []
    for row in found:
        plain = {k: row[k] for k in keys}
        plain.update({m: row[f"s_{m}"] for m in rollup.MEASURES})
        out.append(plain)
    return out


def _summed(rows, keys: list[str]) -> list[dict]:
    return [_finish(plain, keys) for plain in _raw_sums(rows, keys)]


def _rollup_rows(centers, day_from, day_to):
    return _within(CenterHourFigures.objects.all(), centers, day_from, day_to)


def _within(rows, centers, day_from, day_to):
    if centers is not None:
        rows = rows.filter(center__in=centers)
    if day_from is not None:
        rows = rows.filter(day__gte=day_from)
    if day_to is not None:
        rows = rows.filter(day__lte=day_to)
    return rows


def summed(
    *, centers=None, day_from: dt.date | None = None, day_to: dt.date | None = None, by=None
) -> list[dict]:
    """The figures of the calls of `centers` (ids, or None for all) between two local days,
    one row per value of the `by` keys (center, day, hour): read from the rollup, or from the
    calls while the rollup waits for a rebuild after a change of T."""
    if not rollup.ready():
        return aggregate(calls_of(centers=centers, day_from=day_from, day_to=day_to), by=by)
    return _summed(_rollup_rows(centers, day_from, day_to), [GROUPS[k] for k in (by or [])])


def summed_views(
    *, centers=None, day_from: dt.date | None = None, day_to: dt.date | None = None, views
) -> list[list[dict]]:
    """`summed` for several groupings of the same rows at once (e.g. the totals, by center and
    by hour): one read of the rollup grouped by every key the views name, then each view summed
    from those groups in Python. A quarter of every center is ~22,000 rollup rows; reading
    them once instead of once per view is what keeps the report's section inside 150 ms."""
    if not rollup.ready():
        return [summed(centers=centers, day_from=day_from, day_to=day_to, by=v) for v in views]
    union = sorted({GROUPS[k] for v in views for k in (v or [])})
    groups = _raw_sums(_rollup_rows(centers, day_from, day_to), union)
    out = []
    for view in views:
        keys = [GROUPS[k] for k in (view or [])]
        sums: dict = {}
        for row in groups:
            key = tuple(row[k] for k in keys)
            acc = sums.setdefault(key, dict.fromkeys(rollup.MEASURES, 0))
            for m in rollup.MEASURES:
                acc[m] += row[m]
        if not keys and not sums:
            sums[()] = dict.fromkeys(rollup.MEASURES, 0)
        out.append(
            [
                _finish({**dict(zip(keys, key, strict=True)), **sums[key]}, keys)
                for key in sorted(sums)
            ]
        )
    return out


def agents_summed(*, agents, day_from: dt.date, day_to: dt.date, by=None) -> list[dict]:
    """The figures of the calls `agents` (ids) answered or were rung for, by agent, center or
    day, from the rollup (or the calls, as `summed`)."""
    keys = [GROUPS[k] for k in (by or [])]
    if "hour" in keys:
        raise ValueError("agents' figures are kept by day")
    if not rollup.ready():
        calls = Call.objects.filter(agent__in=agents, day__gte=day_from, day__lte=day_to)
        return aggregate(calls, by=by)
    rows = AgentDayFigures.objects.filter(agent__in=agents, day__gte=day_from, day__lte=day_to)
    return _summed(rows, keys)


def _finish(row: dict, keys: list[str]) -> dict:
    answered = row["answered"]
    out = {k.removesuffix("_id"): row[k] for k in keys}
    out.update(
        offered=row["offered"],
        answered=answered,
        short_abandons=row["short_abandons"],
        abandoned=row["abandoned"],
        voicemail=row["voicemail"],
        answered_within_t=row["within_t"],
        answer_rate=_ratio(answered, row["offered"] - row["short_abandons"]),
        service_level=_ratio(row["within_t"], answered + row["abandoned"]),
        asa_seconds=_mean(row["wait_total"] or 0, answered),
        aht_seconds=_mean(row["handle_total"] or 0, answered),
        acw_seconds=_mean(row["acw_total"] or 0, answered),
    )
    if isinstance(out.get("day"), dt.date):
        out["day"] = out["day"].isoformat()
    return out


def totals(calls) -> dict:
    """The figures of `calls` as one row (zeros and None rates when there are none)."""
    return aggregate(calls)[0]


def state_seconds(changes, start: dt.datetime, end: dt.datetime) -> dict:
    """Seconds per (user, state) within [start, end) from AgentStateChange rows.

    A state lasts until the user's next change (or `end`); the state a user was in at
    `start` is the last change before it.
    """
    out: dict = defaultdict(lambda: defaultdict(float))
    by_user = defaultdict(list)
    for user_id, state, at in changes:
        by_user[user_id].append((at, state))
    for user_id, items in by_user.items():
        items.sort()
        for (at, state), nxt in zip(items, [*items[1:], (end, None)], strict=True):
            begin, finish = max(at, start), min(nxt[0], end)
            if finish > begin:
                out[user_id][state] += (finish - begin).total_seconds()
    return out


def occupancy(*, start: dt.datetime, end: dt.datetime, users=None, centers=None) -> dict:
    """Occupancy per user within [start, end): handling ÷ (handling + ready)."""
    changes = AgentStateChange.objects.filter(at__lt=end)
    if users is not None:
        changes = changes.filter(user__in=users)
    if centers is not None:
        changes = changes.filter(center__in=centers)
    # The state a user was in at `start` began before it; a shift is shorter than a day,
    # so the changes of the day before are enough to know it.
    rows = changes.filter(at__gte=start - dt.timedelta(days=1)).values_list(
        "user_id", "state", "at"
    )
    seconds = state_seconds(list(rows), start, end)
    result = {}
    for user_id, per_state in seconds.items():
        busy = per_state[AgentState.ON_CALL] + per_state[AgentState.AFTER_CALL]
        result[user_id] = {
            "handling_seconds": round(busy),
            "ready_seconds": round(per_state[AgentState.READY]),
            "break_seconds": round(per_state[AgentState.BREAK]),
            "occupancy": _ratio(busy, busy + per_state[AgentState.READY]),
        }
    return result


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants of a local day's start and end."""
    start = to_local(timezone.now()).replace(
        year=day.year, month=day.month, day=day.day, hour=0, minute=0, second=0, microsecond=0
    )
    return start, start + dt.timedelta(days=1)


def hourly(calls) -> list[dict]:
    """Offered and answered per hour 0–23 (the chart's series), zeros where there were none."""
    return hours_of(aggregate(calls, by=["hour"]))


def hours_of(by_hour: list[dict]) -> list[dict]:
    """The chart's 24 hours from figures grouped by hour."""
    found = {row["hour"]: row for row in by_hour}
    return [
        {
            "hour": h,
            "offered": found[h]["offered"] if h in found else 0,
            "answered": found[h]["answered"] if h in found else 0,
            "abandoned": found[h]["abandoned"] if h in found else 0,
        }
        for h in range(24)
    ]


def calls_of(*, centers=None, day_from: dt.date | None = None, day_to: dt.date | None = None):
    """The calls of `centers` (Unit queryset or None for all) between two local days."""
    return _within(Call.objects.all(), centers, day_from, day_to)
