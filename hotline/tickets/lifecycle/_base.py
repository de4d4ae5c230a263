"""What every transition shares: the role sets, the row lock, the commit of an event."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from hotline.catalog.policies import policy_for
from hotline.errors import IllegalTransition
from hotline.exchange.models import SelfHandledTicket
from hotline.orgs.models import UNIT_ROLES, Role

from .. import history
from ..models import Assignment, AssignmentRole, Status, Ticket

LEAD_ROLES = UNIT_ROLES
DISPATCH_ROLES = {Role.DISPATCHER}
INTAKE_ROLES = {Role.AGENT, Role.DISPATCHER}
BEFORE_REPLY = {Status.REGISTERED, Status.PENDING_DISPATCH, Status.DISPATCHED, Status.IN_PROGRESS}


def _lock(ticket: Ticket, *, self_handled_ok: bool = False) -> Ticket:
    """The ticket row, locked. A ticket a connected system handles itself moves only by that
    system's reports: every other transition (but supervision) is refused on it."""
    t = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("center__region", "lead_unit__region", "region", "category")
        .annotate(is_self_handled=Exists(SelfHandledTicket.objects.filter(ticket=OuterRef("pk"))))
        .get(pk=ticket.pk)
    )
    if t.is_self_handled and not self_handled_ok:
        raise IllegalTransition(
            "该工单由接入系统自行办理，状态只能由该系统报送",
            "this ticket is handled by its connected system; only the system reports its status",
        )
    return t


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
