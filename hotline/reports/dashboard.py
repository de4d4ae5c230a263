"""The figures of the dashboard (大屏), each a few grouped statements over an indexed range,
so that a call stays well under 300 ms on a province with millions of tickets."""

import datetime as dt

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from hotline.catalog.calendar import LOCAL_TZ, to_local
from hotline.orgs.models import Region
from hotline.screening.models import RiskAlert
from hotline.tickets.models import OPEN_STATUSES, Channel

from . import queries
from .access import region_tickets

TOP = 10
TOP_DAYS = 7
TREND_DAYS = 30
ALERTS = 20
PAST_DAYS_SECONDS = 600


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ)


def today(region: Region, now=None) -> dict:
    """Today's tickets per hour and channel; open and overdue tickets of the region now."""
    now = now or timezone.now()
    start = _midnight(to_local(now).date())
    qs = region_tickets(region)
    rows = (
        qs.filter(created_at__gte=start)
        .order_by()
        .annotate(hour=ExtractHour("created_at", tzinfo=LOCAL_TZ))
        .values("channel", "hour")
        .annotate(n=Count("*"))
    )
    series: dict[str, list[int]] = {}
    for r in rows:
        series.setdefault(r["channel"], [0] * 24)[r["hour"]] += r["n"]
    labels = dict(Channel.choices)
    counts = qs.filter(status__in=OPEN_STATUSES).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(handle_deadline__lt=now))
    )
    return {
        "date": to_local(now).date().isoformat(),
        "total": sum(sum(v) for v in series.values()),
        "channels": [
            {"key": k, "label": labels.get(k, k), "hours": v}
            for k, v in sorted(series.items(), key=lambda kv: -sum(kv[1]))
        ],
        "open": counts["open"],
        "overdue": counts["overdue"],
    }


def top(region: Region, now=None) -> dict:
    """The categories (first level) and the regions below with most tickets in 7 days."""
    now = now or timezone.now()
    start = _midnight(to_local(now).date() - dt.timedelta(days=TOP_DAYS - 1))
    qs = region_tickets(region)
    end = now + dt.timedelta(seconds=1)
    by_category = queries.grouped(qs, start, end, "category_id")
    tops = queries.category_tops(needed=by_category)
    cats: dict = {}
    for pk, n in by_category.items():
        label = tops[pk].name if pk in tops else "未分类"
        cats[label] = cats.get(label, 0) + n
    by_region = queries.grouped(qs, start, end, "region_id")
    parts, _ = queries.region_parts(region, needed=by_region)
    regs: dict = {}
    for pk, n in by_region.items():
        part = parts.get(pk)
        label = (
            "未标注区划"
            if part is None
            else (f"{part.name}本级" if part.pk == region.pk else part.name)
        )
        regs[label] = regs.get(label, 0) + n

    def ranked(d):
        return [{"label": k, "count": v} for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:TOP]]

    return {"days": TOP_DAYS, "categories": ranked(cats), "regions": ranked(regs)}


def satisfaction(region: Region, now=None) -> dict:
    """Satisfaction per day of registration over 30 days (rated tickets only).

    Days before today change only when a late callback is recorded; they are kept in the
    cache for PAST_DAYS_SECONDS, so a refresh every 30 s reads today's tickets alone."""
    now = now or timezone.now()
    today = to_local(now).date()
    first = today - dt.timedelta(days=TREND_DAYS - 1)
    key = f"reports:satisfaction:{region.pk}:{first.isoformat()}"
    past = cache.get(key)
    if past is None:
        past = _rated_per_day(region, _midnight(first), _midnight(today))
        cache.set(key, past, PAST_DAYS_SECONDS)
    by_day = {**past, **_rated_per_day(region, _midnight(today), None)}
    out = []
    for d in (first + dt.timedelta(days=i) for i in range(TREND_DAYS)):
        rated, good = by_day.get(d.isoformat(), (0, 0))
        rate = round(good * 100 / rated, 1) if rated else None
        out.append({"day": d.isoformat(), "rated": rated, "rate": rate})
    return {"days": out}


def _rated_per_day(region: Region, start, end) -> dict[str, tuple[int, int]]:
    rows = region_tickets(region).filter(created_at__gte=start, satisfaction__in=queries.RATED)
    if end is not None:
        rows = rows.filter(created_at__lt=end)
    rows = (
        rows.order_by()
        .annotate(day=TruncDate("created_at", tzinfo=LOCAL_TZ))
        .values("day")
        # created_at, not id: an index on (created_at) covering satisfaction answers it alone.
        .annotate(
            rated=Count("*"), good=Count("created_at", filter=Q(satisfaction__in=queries.GOOD))
        )
    )
    return {r["day"].isoformat(): (r["rated"], r["good"]) for r in rows}


def warnings(region: Region, user, now=None) -> dict:
    """The newest risk alerts on the region's tickets and the analytics' early warnings."""
    now = now or timezone.now()
    alerts = RiskAlert.objects.select_related("ticket").order_by("-created_at", "-id")
    if region.parent_id is not None:
        alerts = alerts.filter(ticket__region__path__startswith=region.path)
    early = _early_warnings(region, user, now)
    return {
        "alerts": [
            {
                "at": a.created_at.isoformat(),
                "kind": a.get_kind_display(),
                "message": a.message,
                "ticket": a.ticket.number,
            }
            for a in alerts[:ALERTS]
        ],  # fmt: skip
        "early": early,
    }


def _early_warnings(region: Region, user, now) -> list[dict]:
    from hotline.analytics.warnings import recent_warnings

    rows = recent_warnings(user, now - dt.timedelta(days=TOP_DAYS))
    if region.parent_id is not None:
        rows = rows.filter(region__path__startswith=region.path)
    return [
        {"at": w.created_at.isoformat(), "day": w.day.isoformat(), "kind": w.get_kind_display(),
         "level": w.level, "title": w.title}
        for w in rows.order_by("-day", "-score", "-id")[:ALERTS]
    ]  # fmt: skip
