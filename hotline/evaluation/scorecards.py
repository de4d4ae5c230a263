"""Unit scorecards (考评): every figure is a numerator over a denominator, computed in SQL.

What each figure counts is defined once in `figures.py` (shown next to the figure and used
by the drill-down). Four grouped queries (tickets, requests, ledger items, reply reviews) serve
a whole province; nothing is computed ticket by ticket. The tickets are counted in TicketFact,
a narrow copy refreshed incrementally (`facts.py`), not in the wide ticket table.

Total = the three weighted rates (响应率 30 / 解决率 35 / 满意率 35 by default) minus the
deductions (the other figures), floored at 0; weights and deduction points per level and unit
type in `ScoreWeight`. A rate with no denominator counts as full marks and deducts nothing.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from hotline.catalog.calendar import LOCAL_TZ
from hotline.errors import InvalidInput
from hotline.orgs.models import Unit
from hotline.supervision.models import SupervisionItem
from hotline.tickets.models import RequestKind, RequestState, TicketRequest

from . import facts
from .figures import POPULATION, RATES, conditions
from .models import ScoreWeight, TicketFact

__all__ = ["RATES", "Card", "compute", "listed", "period_bounds", "rank", "weights_for"]
DEFAULT_WEIGHTS = (30, 35, 35)
CENT = Decimal("0.01")


@dataclass
class Card:
    unit: Unit
    # figure -> (numerator, denominator); a count has denominator None; the quality score
    # is (sum of scores, reviews)
    counts: dict = field(default_factory=dict)
    unjustified_returns: int = 0
    supervision: int = 0
    weights: tuple = DEFAULT_WEIGHTS
    deductions: list = field(default_factory=list)  # (label, points)
    total: Decimal = Decimal(0)
    rank: int | None = 0  # None: no work in the period, not ranked (see `idle`)

    def rate(self, name) -> Decimal | None:
        num, den = self.counts.get(name, (0, 0))
        if not den:
            return None
        return (Decimal(num) * 100 / den).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def quality(self) -> Decimal | None:
        """The mean reply-review score (0–100), None without a reviewed reply."""
        total, n = self.counts.get("quality", (0, 0))
        return (Decimal(total) / n).quantize(CENT, ROUND_HALF_UP) if n else None

    @property
    def idle(self) -> bool:
        """Nothing dispatched to the unit and nothing supervised in the period: its full marks
        say nothing, so it is listed but not ranked above the units that worked."""
        return not self.counts.get("return", (0, 0))[1] and not self.supervision

    @property
    def deducted(self) -> Decimal:
        return sum((p for _, p in self.deductions), Decimal(0))


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """'2025-10' (month), '2025-Q4' (quarter) or '2025' (year), local time, as UTC bounds."""
    try:
        if "-Q" in period:
            year, q = period.split("-Q")
            start, months = dt.date(int(year), 3 * int(q) - 2, 1), 3
            if not 1 <= int(q) <= 4:
                raise ValueError
        elif "-" in period:
            year, month = period.split("-")
            start, months = dt.date(int(year), int(month), 1), 1
        else:
            start, months = dt.date(int(period), 1, 1), 12
    except ValueError:
        raise InvalidInput(
            "考评周期格式应为 2025-10、2025-Q4 或 2025",
            "period must look like 2025-10, 2025-Q4 or 2025",
            field="period",
        ) from None
    m = start.month - 1 + months
    end = dt.date(start.year + m // 12, m % 12 + 1, 1)
    as_dt = lambda d: dt.datetime.combine(d, dt.time(), LOCAL_TZ).astimezone(dt.UTC)  # noqa: E731
    return as_dt(start), as_dt(end)


def weights_for(unit: Unit, table=None) -> ScoreWeight:
    """The most specific weights row: level and kind, then kind, then level, then any; an
    unsaved row with the defaults when none matches."""
    table = table if table is not None else list(ScoreWeight.objects.all())
    by_key = {(w.level, w.unit_kind): w for w in table}
    for key in [(unit.level, unit.kind), ("", unit.kind), (unit.level, ""), ("", "")]:
        if key in by_key:
            return by_key[key]
    return ScoreWeight()


def population(unit_ids, start, end):
    """The units' population as TicketFact rows (`facts.py`; call `facts.refresh()` first)."""
    return TicketFact.objects.filter(
        lead_unit_id__in=unit_ids, dispatched_at__gte=start, dispatched_at__lt=end
    )


def returns(unit_ids, start, end):
    return TicketRequest.objects.filter(
        unit_id__in=unit_ids, kind=RequestKind.RETURN, requested_at__gte=start, requested_at__lt=end
    )


def supervision_items(unit_ids, start, end):
    return SupervisionItem.objects.filter(
        target_unit_id__in=unit_ids, opened_at__gte=start, opened_at__lt=end
    )


def reviews(unit_ids, start, end):
    from hotline.screening.models import ReplyReview

    return ReplyReview.objects.filter(
        ticket_id__in=population(unit_ids, start, end).values("ticket_id")
    )


def _grouped(qs, key, **aggregates) -> dict:
    return {r[key]: r for r in qs.values(key).annotate(**aggregates)}


def compute(units, period: str) -> list[Card]:
    """Scorecards of `units` for `period`, ranked among peers (same level and kind)."""
    start, end = period_bounds(period)
    facts.refresh()
    units = list(units)
    ids = [u.pk for u in units]
    aggregates = {"n": Count("pk")}
    for name, (num, den) in conditions(end).items():
        aggregates[f"{name}_num"] = Count("pk", filter=num)
        aggregates[f"{name}_den"] = Count("pk", filter=den)
    t = _grouped(population(ids, start, end), "lead_unit_id", **aggregates)
    ret = _grouped(
        returns(ids, start, end), "unit_id",
        n=Count("ticket", distinct=True),
        rejected=Count("ticket", distinct=True, filter=Q(state=RequestState.REJECTED)),
    )  # fmt: skip
    sup = _grouped(supervision_items(ids, start, end), "target_unit_id", n=Count("id"))
    rev = _grouped(reviews(ids, start, end), "ticket__lead_unit_id", n=Count("id"),
                   s=Sum("score"))  # fmt: skip
    table = list(ScoreWeight.objects.all())
    cards = []
    for u in units:
        r, back = t.get(u.pk, {}), ret.get(u.pk, {})
        counts = {name: (r.get(f"{name}_num", 0), r.get(f"{name}_den", 0)) for name in POPULATION}
        counts["return"] = (back.get("n", 0), r.get("n", 0))
        counts["unjustified"] = (back.get("rejected", 0), None)
        counts["supervision"] = (sup.get(u.pk, {}).get("n", 0), None)
        q = rev.get(u.pk, {})
        counts["quality"] = (q.get("s") or 0, q.get("n", 0))
        w = weights_for(u, table)
        card = Card(
            unit=u, counts=counts, unjustified_returns=counts["unjustified"][0],
            supervision=counts["supervision"][0],
            weights=(w.response, w.resolution, w.satisfaction),
        )  # fmt: skip
        card.deductions = _deductions(card, w)
        card.total = _total(card)
        cards.append(card)
    rank(cards)
    return cards


def _shortfall(card, name, points, *, bad=False) -> Decimal:
    rate = card.rate(name)
    if rate is None:
        return Decimal(0)
    share = rate if bad else 100 - rate
    return (share * points / 100).quantize(CENT, ROUND_HALF_UP)


def _deductions(card: Card, w: ScoreWeight) -> list[tuple[str, Decimal]]:
    quality = card.quality
    parts = [
        ("签收不及时", _shortfall(card, "ack_on_time", w.ack_on_time)),
        ("未按时办结", _shortfall(card, "handle_on_time", w.handle_on_time)),
        ("退单", _shortfall(card, "return", w.return_rate, bad=True)),
        ("推诿", card.unjustified_returns * w.unjustified),
        ("重办", _shortfall(card, "reopen", w.reopen, bad=True)),
        ("延期", _shortfall(card, "extension", w.extension, bad=True)),
        ("督办", card.supervision * w.supervision),
        ("答复质量",
         Decimal(0) if quality is None
         else ((100 - quality) * w.quality / 100).quantize(CENT, ROUND_HALF_UP)),
    ]  # fmt: skip
    return [(label, Decimal(points).quantize(CENT)) for label, points in parts if points]


def _total(card: Card) -> Decimal:
    # A rate with no denominator counts as full marks: a unit with nothing to rate is not
    # punished for it.
    parts = zip(("response", "resolution", "satisfaction"), card.weights, strict=True)
    total = sum(
        (card.rate(name) if card.rate(name) is not None else Decimal(100)) * w / 100
        for name, w in parts
    )
    total = Decimal(total).quantize(CENT, ROUND_HALF_UP) - card.deducted
    return max(total, Decimal(0)).quantize(CENT)


def rank(cards: list[Card]) -> None:
    """Competition ranking (1, 1, 3) among peers; ties listed by unit code, so stable. An idle
    unit gets no rank."""
    peers: dict = {}
    for c in cards:
        if c.idle:
            c.rank = None
            continue
        peers.setdefault((c.unit.level, c.unit.kind), []).append(c)
    for group in peers.values():
        group.sort(key=lambda c: (-c.total, c.unit.code))
        for i, c in enumerate(group):
            c.rank = group[i - 1].rank if i and c.total == group[i - 1].total else i + 1


def listed(card: Card) -> tuple:
    """Sort key of a scorecard list: by level and kind, ranked units first, the idle after."""
    return (card.unit.level, card.unit.kind, card.rank is None, card.rank or 0, card.unit.code)
