"""Drill-down: the tickets behind one figure of one unit's scorecard (分子 / 分母).

Built from the same definitions as the totals (`figures.py`, `scorecards` querysets), so the
count listed is the count in the figure, within what the user may see (rule 2).
"""

from dataclasses import dataclass

from django.db.models import QuerySet

from hotline.errors import InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import Unit
from hotline.tickets.models import RequestState, Ticket

from . import facts, scorecards
from .figures import BY_NAME, POPULATION, Figure, conditions

PARTS = {"numerator": "分子", "denominator": "分母"}


@dataclass
class Page:
    unit: Unit
    period: str
    figure: Figure
    part: str
    total: int
    rows: list


def queryset(unit: Unit, period: str, name: str, part: str) -> QuerySet:
    """Tickets counted in `part` of figure `name` for `unit` in `period`."""
    if name not in BY_NAME:
        raise InvalidInput("没有这个考评指标", f"unknown figure {name!r}", field="figure")
    if part not in PARTS or (part == "denominator" and not BY_NAME[name].denominator):
        raise InvalidInput("只能查看分子或分母", "part must be numerator or denominator",
                           field="part")  # fmt: skip
    start, end = scorecards.period_bounds(period)
    facts.refresh()
    ids = [unit.pk]
    population = scorecards.population(ids, start, end)
    if name in POPULATION:
        num, den = conditions(end)[name]
        population = population.filter(num if part == "numerator" else den)
    if name in POPULATION or (name == "return" and part == "denominator"):
        return Ticket.objects.filter(pk__in=population.values("ticket_id"))
    if name in ("return", "unjustified"):
        requests = scorecards.returns(ids, start, end)
        if name == "unjustified":
            requests = requests.filter(state=RequestState.REJECTED)
        return Ticket.objects.filter(pk__in=requests.values("ticket_id"))
    if name == "supervision":
        items = scorecards.supervision_items(ids, start, end)
        return Ticket.objects.filter(pk__in=items.values("ticket_id"))
    # quality: the population's tickets with a checked reply (each check counts once)
    return Ticket.objects.filter(pk__in=scorecards.reviews(ids, start, end).values("ticket_id"))


def tickets(unit, period, name, part, *, user=None, limit=100, offset=0) -> Page:
    """One page of the tickets behind a figure, in the user's scope when a user is given."""
    qs = queryset(unit, period, name, part)
    if user is not None:
        qs = qs.filter(pk__in=scope.visible_tickets(user).values("pk"))
    qs = qs.select_related("lead_unit").order_by("dispatched_at", "id")
    return Page(unit=unit, period=period, figure=BY_NAME[name], part=part, total=qs.count(),
                rows=list(qs[offset : offset + limit]))  # fmt: skip
