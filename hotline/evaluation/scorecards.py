"""Unit scorecards (考评): every figure is a numerator over a denominator, computed in SQL.

The population of a unit in a period is the tickets it leads that were dispatched in the
period. Three grouped queries (tickets, requests, ledger items) serve a whole province.

  签收及时率  acknowledged by the ack deadline / dispatched with an ack deadline
  按时办结率  replied by the handling deadline / replied, or due before the period's end
  响应率      replied / dispatched
  解决率      resolved / called back with a resolved answer
  满意率      满意 + 基本满意 / rated (联系不上 is not a rating)
  退单率      return requests by the unit in the period / dispatched; rejected ones = 推诿
  重办率      reopened at least once / dispatched
  延期率      extended at least once / dispatched
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q

from hotline.catalog.calendar import LOCAL_TZ
from hotline.errors import InvalidInput
from hotline.orgs.models import Unit
from hotline.supervision.models import SupervisionItem
from hotline.tickets.models import RequestKind, RequestState, Satisfaction, TicketRequest

from .models import ScoreWeight

DEFAULT_WEIGHTS = (30, 35, 35)
RATES = [
    ("ack_on_time", "签收及时率"),
    ("handle_on_time", "按时办结率"),
    ("response", "响应率"),
    ("resolution", "解决率"),
    ("satisfaction", "满意率"),
    ("return", "退单率"),
    ("reopen", "重办率"),
    ("extension", "延期率"),
]


@dataclass
class Card:
    unit: Unit
    counts: dict = field(default_factory=dict)  # rate -> (numerator, denominator)
    unjustified_returns: int = 0
    supervision: int = 0
    weights: tuple = DEFAULT_WEIGHTS
    total: Decimal = Decimal(0)
    rank: int = 0

    def rate(self, name) -> Decimal | None:
        num, den = self.counts.get(name, (0, 0))
        if not den:
            return None
        return (Decimal(num) * 100 / den).quantize(Decimal("0.01"), ROUND_HALF_UP)


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


def weights_for(unit: Unit, table=None) -> tuple[int, int, int]:
    """The most specific weights row: level and kind, then kind, then level, then any."""
    table = table if table is not None else list(ScoreWeight.objects.all())
    by_key = {(w.level, w.unit_kind): w for w in table}
    for key in [(unit.level, unit.kind), ("", unit.kind), (unit.level, ""), ("", "")]:
        if key in by_key:
            w = by_key[key]
            return (w.response, w.resolution, w.satisfaction)
    return DEFAULT_WEIGHTS


def compute(units, period: str) -> list[Card]:
    """Scorecards of `units` for `period`, ranked among peers (same level and kind)."""
    from hotline.tickets.models import Ticket

    start, end = period_bounds(period)
    units = list(units)
    ids = [u.pk for u in units]
    rated = [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED]
    rows = (
        Ticket.objects.filter(lead_unit_id__in=ids, dispatched_at__gte=start, dispatched_at__lt=end)
        .values("lead_unit_id")
        .annotate(
            dispatched=Count("id"),
            ack_den=Count("id", filter=Q(ack_deadline__isnull=False)),
            ack_num=Count("id", filter=Q(acknowledged_at__lte=F("ack_deadline"))),
            handle_den=Count(
                "id",
                filter=Q(handle_deadline__isnull=False)
                & (Q(replied_at__isnull=False) | Q(handle_deadline__lt=end)),
            ),
            handle_num=Count("id", filter=Q(replied_at__lte=F("handle_deadline"))),
            replied=Count("id", filter=Q(replied_at__isnull=False)),
            res_den=Count("id", filter=Q(resolved__isnull=False)),
            res_num=Count("id", filter=Q(resolved=True)),
            sat_den=Count("id", filter=Q(satisfaction__in=rated)),
            sat_num=Count(
                "id", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])
            ),
            reopened=Count("id", filter=Q(reopen_count__gt=0)),
            extended=Count("id", filter=Q(extension_count__gt=0)),
        )
    )
    t = {r["lead_unit_id"]: r for r in rows}
    returns = {
        r["unit_id"]: r
        for r in TicketRequest.objects.filter(
            unit_id__in=ids, kind=RequestKind.RETURN, requested_at__gte=start, requested_at__lt=end
        )
        .values("unit_id")
        .annotate(n=Count("id"), rejected=Count("id", filter=Q(state=RequestState.REJECTED)))
    }
    supervised = dict(
        SupervisionItem.objects.filter(
            target_unit_id__in=ids, opened_at__gte=start, opened_at__lt=end
        )
        .values("target_unit_id")
        .annotate(n=Count("id"))
        .values_list("target_unit_id", "n")
    )
    table = list(ScoreWeight.objects.all())
    cards = []
    for u in units:
        r = t.get(u.pk, {})
        d = r.get("dispatched", 0)
        ret = returns.get(u.pk, {})
        card = Card(
            unit=u,
            counts={
                "ack_on_time": (r.get("ack_num", 0), r.get("ack_den", 0)),
                "handle_on_time": (r.get("handle_num", 0), r.get("handle_den", 0)),
                "response": (r.get("replied", 0), d),
                "resolution": (r.get("res_num", 0), r.get("res_den", 0)),
                "satisfaction": (r.get("sat_num", 0), r.get("sat_den", 0)),
                "return": (ret.get("n", 0), d),
                "reopen": (r.get("reopened", 0), d),
                "extension": (r.get("extended", 0), d),
            },
            unjustified_returns=ret.get("rejected", 0),
            supervision=supervised.get(u.pk, 0),
            weights=weights_for(u, table),
        )
        card.total = _total(card)
        cards.append(card)
    rank(cards)
    return cards


def _total(card: Card) -> Decimal:
    # A rate with no denominator counts as full marks: a unit with nothing to rate is not
    # punished for it.
    parts = zip(("response", "resolution", "satisfaction"), card.weights, strict=True)
    total = sum(
        (card.rate(name) if card.rate(name) is not None else Decimal(100)) * w / 100
        for name, w in parts
    )
    return Decimal(total).quantize(Decimal("0.01"), ROUND_HALF_UP)


def rank(cards: list[Card]) -> None:
    """Competition ranking (1, 1, 3) among peers; ties listed by unit code, so stable."""
    peers: dict = {}
    for c in cards:
        peers.setdefault((c.unit.level, c.unit.kind), []).append(c)
    for group in peers.values():
        group.sort(key=lambda c: (-c.total, c.unit.code))
        for i, c in enumerate(group):
            c.rank = group[i - 1].rank if i and c.total == group[i - 1].total else i + 1
