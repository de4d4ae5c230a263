"""What the spot checks add up to: each agent's monthly score, the center's scorecard line,
the commonest faults and the checkers' agreement (Cohen's kappa on double-scored items).

A month's items are those of the samples whose week starts in the month. An item's final
score is its second checker's when an appeal was decided, else its first score.
"""

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Exists, OuterRef, Q
from sklearn.metrics import cohen_kappa_score

from hotline.errors import InvalidInput

from .models import AppealState, ItemState, SampleItem, Score, ScoreKind, ScoreLine

CENT = Decimal("0.01")
SCORED = [ItemState.SCORED, ItemState.APPEALED, ItemState.DECIDED]


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """'2026-10' → (first day, first day of the next month)."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        start = dt.date(year, mon, 1)
    except (ValueError, TypeError):
        raise InvalidInput("月份格式应为 2026-10", "month must look like 2026-10",
                           field="month") from None  # fmt: skip
    end = dt.date(year + mon // 12, mon % 12 + 1, 1)
    return start, end


def month_items(center_ids, month: str):
    start, end = month_bounds(month)
    return SampleItem.objects.filter(
        sample__center_id__in=center_ids, sample__week__gte=start, sample__week__lt=end
    )


def final_lines(items):
    """The score lines that count: the second score's where there is one, else the first's."""
    has_second = Score.objects.filter(item=OuterRef("score__item"), kind=ScoreKind.SECOND)
    return (
        ScoreLine.objects.filter(score__item__in=items.values("pk"))
        .alias(_second=Exists(has_second))
        .filter(Q(score__kind=ScoreKind.SECOND) | Q(score__kind=ScoreKind.FIRST, _second=False))
    )


def _q(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, ROUND_HALF_UP)


@dataclass
class AgentRow:
    agent_id: int
    name: str
    items: int
    scored: int
    score: Decimal | None
    faults: int
    appeals: int


def agent_scores(center_ids, month: str, *, agent=None) -> list[AgentRow]:
    """Each sampled agent's monthly score: the mean final score of their scored items."""
    items = month_items(center_ids, month)
    if agent is not None:
        items = items.filter(agent=agent)
    rows = (
        items.values("agent_id", "agent__full_name", "agent__username")
        .annotate(
            n=Count("id"),
            scored=Count("id", filter=Q(state__in=SCORED)),
            mean=Avg("score", filter=Q(state__in=SCORED)),
            appeals=Count("appeal"),
        )
        .order_by("agent_id")
    )
    faults = Counter(
        final_lines(items).filter(fault=True).values_list("score__item__agent_id", flat=True)
    )
    out = [
        AgentRow(r["agent_id"], r["agent__full_name"] or r["agent__username"], r["n"],
                 r["scored"], _q(r["mean"]), faults[r["agent_id"]], r["appeals"])
        for r in rows
    ]  # fmt: skip
    out.sort(key=lambda r: (r.score is None, -(r.score or 0), r.agent_id))
    return out


@dataclass
class Fault:
    label: str
    count: int
    share: Decimal  # of all faults of the month, percent


def common_faults(center_ids, month: str, *, limit: int = 5) -> list[Fault]:
    """The rubric lines most often scored below full points, most first."""
    counts = Counter(
        final_lines(month_items(center_ids, month))
        .filter(fault=True)
        .values_list("line__label", flat=True)
    )
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [Fault(label, n, _q(Decimal(n) * 100 / total)) for label, n in ranked]


@dataclass
class Agreement:
    pairs: int  # rubric lines scored by both checkers
    items: int
    kappa: Decimal | None  # None when undefined (no pairs, or one label only)


def agreement(center_ids, month: str) -> Agreement:
    """Cohen's kappa of fault / no fault per rubric line, first checker against second."""
    items = month_items(center_ids, month).filter(scores__kind=ScoreKind.SECOND)
    verdicts: dict[tuple, dict] = {}
    for item_id, line_id, kind, fault in ScoreLine.objects.filter(
        score__item__in=items.values("pk")
    ).values_list("score__item_id", "line_id", "score__kind", "fault"):
        verdicts.setdefault((item_id, line_id), {})[kind] = fault
    pairs = [(v[ScoreKind.FIRST], v[ScoreKind.SECOND]) for v in verdicts.values() if len(v) == 2]
    n_items = len({k[0] for k, v in verdicts.items() if len(v) == 2})
    if not pairs or len({x for p in pairs for x in p}) < 2:
        return Agreement(len(pairs), n_items, None)
    value = cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs])
    return Agreement(len(pairs), n_items, None if math.isnan(value) else _q(value))


@dataclass
class CenterLine:
    """The center's line on the scorecard (中心质检得分)."""

    items: int
    scored: int
    score: Decimal | None
    fault_rate: Decimal | None  # faulted lines / scored lines, percent
    appeals: int
    changed: int
    agreement: Agreement
    faults: list = field(default_factory=list)


def center_line(center_ids, month: str) -> CenterLine:
    items = month_items(center_ids, month)
    summary = items.aggregate(
        n=Count("id"), scored=Count("id", filter=Q(state__in=SCORED)),
        mean=Avg("score", filter=Q(state__in=SCORED)), appeals=Count("appeal"),
        changed=Count("appeal", filter=Q(appeal__state=AppealState.CHANGED)),
    )  # fmt: skip
    lines = final_lines(items).aggregate(n=Count("id"), faults=Count("id", filter=Q(fault=True)))
    rate = _q(Decimal(lines["faults"]) * 100 / lines["n"]) if lines["n"] else None
    return CenterLine(
        items=summary["n"], scored=summary["scored"], score=_q(summary["mean"]),
        fault_rate=rate, appeals=summary["appeals"], changed=summary["changed"],
        agreement=agreement(center_ids, month), faults=common_faults(center_ids, month),
    )  # fmt: skip
