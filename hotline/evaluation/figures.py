"""What every scorecard figure counts: one definition used by the totals and the drill-down.

A unit's population in a period is the tickets it leads (lead unit now) that were dispatched in
the period (local time). Most figures are a numerator over a denominator of that population,
both written once here as Q objects, so the tickets listed behind a figure are exactly the ones
counted. Returns, unjustified returns and supervision items are counted by when they happened
(the request, the ledger item), not by the ticket's dispatch.
"""

from dataclasses import dataclass

from django.db.models import F, Q

from hotline.tickets.models import Satisfaction

RATED = [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED]
GOOD = [Satisfaction.SATISFIED, Satisfaction.BASICALLY]


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    numerator: str  # the definitions shown next to the figure
    denominator: str
    kind: str = "rate"  # rate | count | score


FIGURES = [
    Figure("ack_on_time", "签收及时率", "在签收时限内签收的工单", "有签收时限的工单"),
    Figure(
        "handle_on_time",
        "按时办结率",
        "在办理时限内答复的工单",
        "已答复或办理时限在周期末前已到的工单",
    ),  # fmt: skip
    Figure("response", "响应率", "已答复的工单", "派单数"),
    Figure("resolution", "解决率", "回访结论为“已解决”的工单", "回访有解决结论的工单"),
    Figure("satisfaction", "满意率", "满意 + 基本满意", "满意 + 基本满意 + 不满意（联系不上不计）"),
    Figure("return", "退单率", "周期内本单位提出退单申请的工单", "派单数"),
    Figure("unjustified", "推诿", "周期内退单申请被驳回（不合理退单）的工单", "", "count"),
    Figure("reopen", "重办率", "重办过的工单", "派单数"),
    Figure("extension", "延期率", "延期过的工单", "派单数"),
    Figure("supervision", "督办数", "周期内对本单位开出的督办事项", "", "count"),
    Figure("quality", "答复质量分", "答复自动审查得分之和", "经审查的答复次数", "score"),
]
BY_NAME = {f.name: f for f in FIGURES}
RATES = [(f.name, f.label) for f in FIGURES if f.kind == "rate"]
# Figures counted on the population with the Q objects below (the rest need another table).
POPULATION = ["ack_on_time", "handle_on_time", "response", "resolution", "satisfaction",
              "reopen", "extension"]  # fmt: skip


def conditions(end) -> dict[str, tuple[Q, Q]]:
    """(numerator, denominator) conditions on the population; `end` is the period's end."""
    everything = Q()
    return {
        "ack_on_time": (
            Q(ack_deadline__isnull=False, acknowledged_at__lte=F("ack_deadline")),
            Q(ack_deadline__isnull=False),
        ),
        "handle_on_time": (
            Q(handle_deadline__isnull=False, replied_at__lte=F("handle_deadline")),
            Q(handle_deadline__isnull=False)
            & (Q(replied_at__isnull=False) | Q(handle_deadline__lt=end)),
        ),
        "response": (Q(replied_at__isnull=False), everything),
        "resolution": (Q(resolved=True), Q(resolved__isnull=False)),
        "satisfaction": (Q(satisfaction__in=GOOD), Q(satisfaction__in=RATED)),
        "reopen": (Q(reopen_count__gt=0), everything),
        "extension": (Q(extension_count__gt=0), everything),
    }
