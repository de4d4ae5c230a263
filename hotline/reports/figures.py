"""Every number of a report, computed once from aggregate SQL; rendering only reads them.

Populations (the report states them too):
- volume, channels, appeal types, categories, regions, satisfaction, overdue: the tickets of
  the region registered in the period (受理时间), compared with the previous period (环比)
  and the same period a year earlier (同比);
- the three rates and the unit ranking: the scorecards of hotline/evaluation (the tickets
  the units of the region led that were dispatched in the period);
- supervision, deadline warnings and risk alerts: those opened in the period on the
  region's tickets.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count
from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.catalog.models import AppealType
from hotline.evaluation import scorecards
from hotline.orgs.models import Region, Unit, UnitKind
from hotline.screening.models import AlertKind, RiskAlert
from hotline.supervision.models import ItemSource, ItemState, SupervisionItem, Warning
from hotline.tickets.models import Channel, Satisfaction

from . import queries
from .access import region_tickets
from .periods import Period

ONE = Decimal("0.1")
# A unit with a ticket or two would top or end the ranking by chance: ranked from this many.
RANK_MINIMUM = 5


def pct(num: int, den: int) -> Decimal | None:
    """num/den as a percentage with one decimal, None without a denominator."""
    if not den:
        return None
    return (Decimal(num) * 100 / den).quantize(ONE, ROUND_HALF_UP)


def change(now: int, before: int) -> Decimal | None:
    """Growth in percent over `before` (环比/同比), None when there was nothing before."""
    if not before:
        return None
    return (Decimal(now - before) * 100 / before).quantize(ONE, ROUND_HALF_UP)


@dataclass
class Row:
    """One line of a breakdown: this period, the previous one, last year's."""

    key: str
    label: str
    now: int
    prev: int = 0
    last_year: int = 0
    share: Decimal | None = None

    @property
    def mom(self) -> Decimal | None:
        return change(self.now, self.prev)

    @property
    def yoy(self) -> Decimal | None:
        return change(self.now, self.last_year)


@dataclass
class RankRow:
    rank: int
    unit: str
    dispatched: int
    response: Decimal | None
    resolution: Decimal | None
    satisfaction: Decimal | None
    total: Decimal


@dataclass
class Case:
    why: str
    number: str
    title: str
    place: str
    category: str
    content: str
    reply: str
    outcome: str


@dataclass
class Topic:
    title: str
    place: str
    size: int
    citizens: int
    heat: float
    phrases: list[str]
    estimated: bool = False  # size and citizens scaled from a sample of the period's demands


@dataclass
class EarlyWarningRow:
    title: str
    level: str
    kind: str
    day: dt.date | None


@dataclass
class Figures:
    period: Period
    region_code: str
    region_name: str
    issuer: str
    generated_at: dt.datetime
    volume: Row
    totals: dict
    prev_totals: dict
    daily: list[tuple[dt.date, int]]
    prev_daily: list[tuple[dt.date, int]]
    channels: list[Row]
    appeal_types: list[Row]
    categories: list[Row]
    regions: list[Row]
    satisfaction: list[Row]
    satisfaction_rate: Decimal | None
    prev_satisfaction_rate: Decimal | None
    rates: dict  # name -> (numerator, denominator), summed over the region's unit cards
    ranking: list[RankRow]
    ranking_bottom: list[RankRow]
    ranked_units: int
    rank_minimum: int
    supervision_states: list[Row]
    supervision_sources: list[Row]
    deadline_warnings: dict
    risk_alerts: list[Row]
    risk_levels: dict
    hot_topics: list[Topic] = field(default_factory=list)
    early_warnings: list[EarlyWarningRow] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    # The spot checks of the region's centers (monthly report only): quality.figures.CenterLine.
    quality: object | None = None
    # The region's centers' calls (call_section.CallSection), None when there were none.
    calls: object | None = None

    def rate(self, name: str) -> Decimal | None:
        num, den = self.rates.get(name, (0, 0))
        return pct(num, den)


def _rows(now: dict, prev: dict, last: dict, labels: dict, *, total: int) -> list[Row]:
    """Rows for every key seen in any of the three periods, biggest first."""
    keys = set(now) | set(prev) | set(last)
    rows = [
        Row(str(k), labels.get(k, str(k) or "未标注"), now.get(k, 0), prev.get(k, 0),
            last.get(k, 0), pct(now.get(k, 0), total))
        for k in keys
    ]  # fmt: skip
    rows.sort(key=lambda r: (-r.now, -r.prev, r.key))
    return rows


def _fold(counts: dict, mapping: dict) -> dict:
    """Sum counts of fine keys (a leaf category, a town) into coarse ones (its top, its city)."""
    out: dict = {}
    for key, n in counts.items():
        coarse = mapping.get(key)
        out[coarse] = out.get(coarse, 0) + n
    return out


def issuer_of(region: Region) -> str:
    center = Unit.objects.filter(region=region, kind=UnitKind.CENTER, is_active=True).first()
    return center.name if center else f"{region.name}12345政务服务便民热线中心"


def compute(period: Period, region: Region, *, now=None) -> Figures:
    """Every figure of the report of `region` for `period`."""
    now = now or timezone.now()
    qs = region_tickets(region)
    spans = [period.bounds, period.previous.bounds, period.last_year.bounds]
    cur, prev, last = spans

    def three(name):
        return [queries.grouped(qs, s, e, name) for s, e in spans]

    totals = queries.totals(qs, *cur, now)
    prev_totals = queries.totals(qs, *prev, now)
    last_totals = queries.totals(qs, *last, now)
    volume = Row("volume", "受理量", totals["volume"], prev_totals["volume"], last_totals["volume"])
    n = totals["volume"]

    channels = _rows(*three("channel"), dict(Channel.choices), total=n)
    appeal = _rows(*three("appeal_type"), dict(AppealType.choices), total=n)

    by_category = three("category_id")
    tops = queries.category_tops(needed=[k for c in by_category for k in c])
    top_of = {pk: c.code for pk, c in tops.items()}
    cat_labels = {c.code: c.name for c in tops.values()} | {None: "未分类"}
    categories = _rows(*[_fold(c, top_of) for c in by_category], cat_labels, total=n)

    by_region = three("region_id")
    parts, children = queries.region_parts(region, needed=[k for c in by_region for k in c])
    part_of = {pk: r.code for pk, r in parts.items()}
    reg_labels = {r.code: r.name for r in children} | {
        region.code: f"{region.name}本级",
        None: "未标注区划",
    }
    regions = _rows(*[_fold(c, part_of) for c in by_region], reg_labels, total=n)

    sat_labels = dict(Satisfaction.choices) | {"": "未回访"}
    sat_now, sat_prev, sat_last = three("satisfaction")
    satisfaction = _rows(sat_now, sat_prev, sat_last, sat_labels, total=n)
    order = [*Satisfaction.values, ""]
    satisfaction.sort(key=lambda r: order.index(r.key) if r.key in order else 99)

    cards = _cards(region, period)
    rates = {}
    for name, _ in scorecards.RATES:
        rates[name] = (
            sum(c.counts[name][0] for c in cards),
            sum(c.counts[name][1] for c in cards),
        )
    ranked = sorted(
        (c for c in cards if c.counts["response"][1] >= RANK_MINIMUM),
        key=lambda c: (-c.total, c.unit.code),
    )
    ranking = [_rank_row(i + 1, c) for i, c in enumerate(ranked)]

    figures = Figures(
        period=period,
        region_code=region.code,
        region_name=region.name,
        issuer=issuer_of(region),
        generated_at=now,
        volume=volume,
        totals=totals,
        prev_totals=prev_totals,
        daily=sorted(queries.daily(qs, *cur).items()),
        prev_daily=sorted(queries.daily(qs, *prev).items()),
        channels=channels,
        appeal_types=appeal,
        categories=categories,
        regions=regions,
        satisfaction=satisfaction,
        satisfaction_rate=pct(totals["good"], totals["rated"]),
        prev_satisfaction_rate=pct(prev_totals["good"], prev_totals["rated"]),
        rates=rates,
        ranking=ranking[:10],
        ranking_bottom=ranking[10:][-5:],
        ranked_units=len(ranking),
        rank_minimum=RANK_MINIMUM,
        **_supervision_and_risk(qs, region, cur, prev, last),
    )
    return figures


def _cards(region: Region, period: Period) -> list:
    units = Unit.objects.filter(is_active=True).exclude(
        kind__in=[UnitKind.CENTER, UnitKind.SUBCENTER, UnitKind.OFFICE]
    )
    if region.parent_id is not None:
        units = units.filter(region__path__startswith=region.path)
    return scorecards.compute(units.select_related("region").order_by("code"), period.key)


def _rank_row(i: int, c) -> RankRow:
    return RankRow(
        rank=i,
        unit=c.unit.name,
        dispatched=c.counts["response"][1],
        response=c.rate("response"),
        resolution=c.rate("resolution"),
        satisfaction=c.rate("satisfaction"),
        total=c.total,
    )


def _on_tickets(model_qs, qs, region: Region):
    """Rows of a ticket-linked table, limited to the region's tickets."""
    if region.parent_id is None:
        return model_qs
    return model_qs.filter(ticket_id__in=qs.values("id"))


def _by(model_qs, field: str, start, end, stamp: str) -> dict:
    rows = (
        model_qs.filter(**{f"{stamp}__gte": start, f"{stamp}__lt": end})
        .order_by()
        .values(field)
        .annotate(n=Count("id"))
    )
    return {r[field]: r["n"] for r in rows}


def _supervision_and_risk(qs, region, cur, prev, last) -> dict:
    items = _on_tickets(SupervisionItem.objects.all(), qs, region)
    states = [_by(items, "state", s, e, "opened_at") for s, e in (cur, prev, last)]
    sources = [_by(items, "source", s, e, "opened_at") for s, e in (cur, prev, last)]
    total_items = sum(states[0].values())
    warnings = _by(_on_tickets(Warning.objects.all(), qs, region), "level", *cur, "created_at")
    alerts = _on_tickets(RiskAlert.objects.all(), qs, region)
    kinds = [_by(alerts, "kind", s, e, "created_at") for s, e in (cur, prev, last)]
    levels = queries.grouped(qs, *cur, "risk_level")
    return {
        "supervision_states": _rows(*states, dict(ItemState.choices), total=total_items),
        "supervision_sources": _rows(*sources, dict(ItemSource.choices), total=total_items),
        "deadline_warnings": warnings,
        "risk_alerts": _rows(*kinds, dict(AlertKind.choices), total=sum(kinds[0].values())),
        "risk_levels": {k: v for k, v in levels.items() if k},
    }


def local_date(moment: dt.datetime) -> dt.date:
    return to_local(moment).date()
