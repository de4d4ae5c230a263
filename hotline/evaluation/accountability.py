"""Accountability (效能问责): the units to name for a period, with the tickets as evidence.

A unit is listed when in the period it
  - had returns judged unjustified (推诿: a return request the center rejected) at least
    UNJUSTIFIED_MIN times,
  - let a handling deadline falling in the period pass without a reply in time (超期), or
  - left a ticket waiting on it untouched the whole period (未处置: still awaiting its
    acknowledgement or handling, dispatched before the period ended, and no event at all on the
    ticket during the period), or
  - was proposed for accountability by a supervisor after a 暗访 (field check) in the period
    (`supervision.field_checks.propose_accountability`); its evidence is the checks' tickets.
Four grouped queries for the counts, then four for the evidence of the listed units.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber

from hotline.orgs import scope
from hotline.orgs.models import Role, Unit
from hotline.supervision.models import FieldCheck
from hotline.tickets.models import (
    RequestKind,
    RequestState,
    Status,
    Ticket,
    TicketEvent,
    TicketRequest,
)

from .scorecards import period_bounds

UNJUSTIFIED_MIN = 2
OVERDUE_MIN = 1
IDLE_MIN = 1
FIELD_MIN = 1
EVIDENCE = 20  # ticket numbers quoted per fact
WAITING = [Status.DISPATCHED, Status.IN_PROGRESS]
FACTS = [("unjustified", "推诿（不合理退单）"), ("overdue", "超期未办结"), ("idle", "周期内未处置"),
         ("field", "暗访问责建议")]  # fmt: skip


@dataclass
class Entry:
    unit: Unit
    counts: dict = field(default_factory=dict)  # fact -> count
    evidence: dict = field(default_factory=dict)  # fact -> [ticket numbers]

    def facts(self):
        return [(label, self.counts.get(k, 0), self.evidence.get(k, [])) for k, label in FACTS]


def supervisor_centers(user) -> list[Unit]:
    """Centers where the user is a supervisor: the accountability list is theirs to draw up."""
    return [
        m.unit for m in scope.memberships(user) if m.role == Role.SUPERVISOR and m.unit.is_center
    ]


def units_in_scope(user):
    """Handling units below the user's supervisor centers (every one for a superuser)."""
    qs = Unit.objects.filter(is_active=True).exclude(kind__in=["center", "subcenter"])
    if user.is_superuser:
        return qs
    condition = Q(pk__in=[])
    for center in supervisor_centers(user):
        condition |= Q(path__startswith=center.path)
    return qs.filter(condition)


def _unjustified(unit_ids, start, end):
    return TicketRequest.objects.filter(
        unit_id__in=unit_ids, kind=RequestKind.RETURN, state=RequestState.REJECTED,
        requested_at__gte=start, requested_at__lt=end,
    )  # fmt: skip


def _overdue(unit_ids, start, end):
    return Ticket.objects.filter(
        Q(replied_at__isnull=True) | Q(replied_at__gt=F("handle_deadline")),
        lead_unit_id__in=unit_ids, handle_deadline__gte=start, handle_deadline__lt=end,
    )  # fmt: skip


def _idle(unit_ids, start, end):
    events = TicketEvent.objects.filter(
        ticket=OuterRef("pk"), created_at__gte=start, created_at__lt=end
    )
    return Ticket.objects.filter(
        lead_unit_id__in=unit_ids, status__in=WAITING, dispatched_at__lt=end
    ).exclude(Exists(events))


def _proposed(unit_ids, start, end):
    return FieldCheck.objects.filter(
        unit_id__in=unit_ids, proposed_at__gte=start, proposed_at__lt=end
    )


def entries(units, period: str) -> list[Entry]:
    """The units to name, worst first (most facts, then by code: a stable order)."""
    start, end = period_bounds(period)
    ids = list(units.values_list("pk", flat=True))
    sources = {
        "unjustified": (_unjustified(ids, start, end), "unit_id", "ticket__number"),
        "overdue": (_overdue(ids, start, end), "lead_unit_id", "number"),
        "idle": (_idle(ids, start, end), "lead_unit_id", "number"),
        "field": (_proposed(ids, start, end), "unit_id", "ticket__number"),
    }
    minimum = {"unjustified": UNJUSTIFIED_MIN, "overdue": OVERDUE_MIN, "idle": IDLE_MIN,
               "field": FIELD_MIN}  # fmt: skip
    counts: dict[int, dict] = {}
    for fact, (qs, key, _number) in sources.items():
        for row in qs.values(key).annotate(n=Count("id")):
            if row["n"] >= minimum[fact]:
                counts.setdefault(row[key], {})[fact] = row["n"]
    found = {u.pk: u for u in Unit.objects.filter(pk__in=counts)}
    result = {pk: Entry(unit=found[pk], counts=c) for pk, c in counts.items()}
    for fact, (qs, key, number) in sources.items():
        named = [pk for pk, c in counts.items() if fact in c]
        if not named:
            continue
        # The first EVIDENCE numbers of every named unit in one query, not one per unit.
        rows = (
            qs.filter(**{f"{key}__in": named})
            .annotate(rn=Window(RowNumber(), partition_by=[F(key)], order_by=F(number).asc()))
            .filter(rn__lte=EVIDENCE)
            .values_list(key, number)
        )
        for unit_id, n in rows:
            numbers = result[unit_id].evidence.setdefault(fact, [])
            if (
                n is not None and n not in numbers
            ):  # a check of a unit names no ticket  # a ticket returned twice is one piece of evidence
                numbers.append(n)
    result = list(result.values())
    result.sort(key=lambda e: (-sum(e.counts.values()), e.unit.code))
    return result
