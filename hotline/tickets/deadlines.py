"""The live deadline state of a ticket: on time, due soon or overdue."""

from django.db.models import Q
from django.utils import timezone

from .models import Status, Ticket

ON_TIME, DUE_SOON, OVERDUE, DONE_LATE, NONE = "on_time", "due_soon", "overdue", "done_late", "none"
LABELS = {ON_TIME: "正常", DUE_SOON: "临期", OVERDUE: "超期", DONE_LATE: "超期办结", NONE: "—"}
# The share of the time limit left when a ticket counts as due soon.
DUE_SOON_SHARE = 0.2
HANDLING = (Status.IN_PROGRESS, Status.RETURN_REQUESTED)


def _against(deadline, start, now) -> str:
    if deadline is None:
        return NONE
    if now > deadline:
        return OVERDUE
    span = (deadline - start).total_seconds() if start else 0
    if span > 0 and (deadline - now).total_seconds() < span * DUE_SOON_SHARE:
        return DUE_SOON
    return ON_TIME


def state(ticket: Ticket, now=None) -> tuple[str, object]:
    """(state, the deadline it is measured against)."""
    now = now or timezone.now()
    if ticket.status == Status.DISPATCHED:
        return _against(ticket.ack_deadline, ticket.dispatched_at, now), ticket.ack_deadline
    if ticket.status in HANDLING:
        return _against(ticket.handle_deadline, ticket.dispatched_at, now), ticket.handle_deadline
    if ticket.handle_deadline and ticket.replied_at:
        late = ticket.replied_at > ticket.handle_deadline
        return (DONE_LATE if late else ON_TIME), ticket.handle_deadline
    return NONE, None


def overdue_q(now=None) -> Q:
    """Tickets late for acknowledgement or for handling, right now."""
    now = now or timezone.now()
    return Q(status=Status.DISPATCHED, ack_deadline__lt=now) | Q(
        status__in=HANDLING, handle_deadline__lt=now
    )
