"""What every transition shares: the role sets, the row lock, the commit of an event."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from hotline.catalog.policies import policy_for
from hotline.errors import IllegalTransition
from hotline.exchange.models import SelfHandledTicket
from hotline.orgs.models import UNIT_ROLES, Role, Unit

from .. import history
from ..models import Assignment, AssignmentRole, Status, Ticket

LEAD_ROLES = UNIT_ROLES
DISPATCH_ROLES = {Role.DISPATCHER}
INTAKE_ROLES = {Role.AGENT, Role.DISPATCHER}
BEFORE_REPLY = {Status.REGISTERED, Status.PENDING_DISPATCH, Status.DISPATCHED, Status.IN_PROGRESS}


def _marked(tickets):
    """`tickets`, each marked `is_self_handled`."""
    return tickets.annotate(
        is_self_handled=Exists(SelfHandledTicket.objects.filter(ticket=OuterRef("pk")))
    )


def _locking():
    """Ticket rows to be locked (SELECT ... FOR UPDATE), with what the checks read."""
    return _marked(
        Ticket.objects.select_for_update(of=("self",)).select_related(
            "center__region", "lead_unit__region", "region", "category"
        )
    )


def self_handled_refusal() -> IllegalTransition:
    return IllegalTransition(
        "该工单由接入系统自行办理，状态只能由该系统报送",
        "this ticket is handled by its connected system; only the system reports its status",
    )


def _lock(ticket: Ticket, *, self_handled_ok: bool = False) -> Ticket:
    """The ticket row, locked. A ticket a connected system handles itself moves only by that
    system's reports: every other transition (but supervision) is refused on it."""
    t = _locking().get(pk=ticket.pk)
    if t.is_self_handled and not self_handled_ok:
        raise self_handled_refusal()
    return t


def _lock_many(ids, fields) -> dict[int, Ticket]:
    """The rows of `ids`, locked in one statement in id order (the order every transition
    takes two rows in, so that two batches or a batch and a single merge cannot deadlock),
    with only `fields` read and each ticket's center (and its region) set from one lookup
    per center: a full row with its related rows and its decrypted personal data cost more
    than the rest of a batch merge. A missing id is absent from the result."""
    locking = _marked(Ticket.objects.select_for_update().only(*fields, "center"))
    rows = list(locking.filter(pk__in=list(ids)).order_by("pk"))
    centers = Unit.objects.select_related("region").in_bulk({t.center_id for t in rows})
    for t in rows:
        t.center = centers[t.center_id]
    return {t.pk: t for t in rows}


def _commit(t: Ticket, *, action, from_status, actor, unit, data=None, at=None):
    t.updated_at = at or timezone.now()
    event = history.append(
        t,
        action=action,
        from_status=from_status,
        actor=actor,
        actor_unit=unit,
        data=data,
        at=t.updated_at,
    )
    t.save()
    return event


def _policy(t: Ticket):
    return policy_for(
        appeal_type=t.appeal_type, urgency=t.urgency, category=t.category, region=t.region
    )


def _lead_assignment(t: Ticket) -> Assignment | None:
    return (
        t.assignments.filter(is_active=True, role=AssignmentRole.LEAD, unit=t.lead_unit)
        .select_related("parent__unit")
        .first()
    )


def _decide(req, *, by, state, note, at) -> None:
    """Record the decision on a unit's request (TicketRequest) or a matter held for its
    leader (LeaderApproval): both carry state, decided_by, decided_at and decision_note."""
    req.state = state
    req.decided_by = by
    req.decided_at = at
    req.decision_note = note
    req.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
