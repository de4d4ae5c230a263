"""The querysets behind every queue and its counter; each starts from `visible_tickets`."""

from datetime import timedelta
from types import SimpleNamespace

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotline.orgs import scope
from hotline.orgs.models import Role
from hotline.tickets import deadlines
from hotline.tickets.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentRole,
    RequestKind,
    RequestState,
    Status,
    TicketEvent,
    TicketRequest,
)

HANDLING = [Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURN_REQUESTED]
# Urgency sorts by weight, not by its code's alphabet.
URGENCY_ORDER = {"critical": 0, "urgent": 1, "normal": 2}


def _centers_q(memberships) -> Q:
    """Tickets held by one of these centers: a center's queue is its own work; a center
    below has its own dispatchers, reviewers and callback agents for the tickets it holds
    (the ticket page still lets a higher center act, as the lifecycle allows)."""
    return Q(center_id__in=[m.unit_id for m in memberships])


def _base(user):
    return scope.visible_tickets(user).select_related("center", "lead_unit", "category", "region")


def pending_extensions():
    return TicketRequest.objects.filter(
        ticket=OuterRef("pk"), kind=RequestKind.EXTENSION, state=RequestState.PENDING
    )


DISPATCH_TABS = {
    "pending": ("待派单", lambda: Q(status=Status.PENDING_DISPATCH)),
    "returns": ("退单待审", lambda: Q(status=Status.RETURN_REQUESTED)),
    "extensions": ("延期待审", lambda: Q(Exists(pending_extensions()))),
}


def dispatch_queue(user, memberships, tab: str):
    return _base(user).filter(_centers_q(memberships)).filter(DISPATCH_TABS[tab][1]())


def _last_action():
    return Subquery(
        TicketEvent.objects.filter(ticket=OuterRef("pk")).order_by("-seq").values("action")[:1]
    )


def _unacknowledged_assist(unit):
    return Assignment.objects.filter(
        unit=unit, is_active=True, role=AssignmentRole.ASSIST, acknowledged_at__isnull=True
    ).values("ticket_id")


INBOX_TABS = {
    "ack": "待签收",
    "doing": "办理中",
    "due_soon": "临期",
    "overdue": "超期",
    "rejected": "审核退回",
    "reopened": "重办",
    "sub_returns": "下级退单",
}


def inbox_queue(user, unit, tab: str, now=None):
    """The unit's tickets for one tab; due-soon is narrowed in Python (see `due_soon`).

    A unit works on the tickets it leads (the (lead_unit, status) index finds them); the
    tickets it assists show up to be acknowledged. Closed tickets keep their assignments,
    so starting from the assignments would read the unit's whole history."""
    now = now or timezone.now()
    base = _base(user)
    qs = base.filter(lead_unit=unit)
    if tab == "ack":
        return base.filter(
            Q(lead_unit=unit, status=Status.DISPATCHED)
            | Q(pk__in=_unacknowledged_assist(unit), status__in=HANDLING)
        )
    if tab == "doing":
        return qs.filter(status__in=[Status.IN_PROGRESS, Status.RETURN_REQUESTED])
    if tab == "overdue":
        return qs.filter(status__in=HANDLING).filter(deadlines.overdue_q(now))
    if tab == "due_soon":
        return qs.filter(status__in=HANDLING).exclude(deadlines.overdue_q(now))
    if tab == "rejected":
        return (
            qs.filter(status=Status.IN_PROGRESS)
            .annotate(last_action=_last_action())
            .filter(last_action="reject_reply")
        )
    if tab == "reopened":
        return qs.filter(status=Status.IN_PROGRESS, reopen_count__gt=0)
    if tab == "sub_returns":
        # A unit below asks to give back what this unit passed down: this unit decides.
        passed_down = Assignment.objects.filter(
            parent__unit=unit, is_active=True, role=AssignmentRole.LEAD
        ).values("ticket_id")
        return base.filter(pk__in=passed_down, status=Status.RETURN_REQUESTED)
    raise KeyError(tab)


def due_soon(qs, scan: int, now=None):
    """The tickets of `qs` (its first `scan`) with less than a fifth of their limit left.

    The share is of each ticket's own limit, so it is decided in Python on a few columns,
    and the page then loads only the tickets that qualify."""
    now = now or timezone.now()
    fields = ("pk", "status", "ack_deadline", "handle_deadline", "dispatched_at", "replied_at")
    ids = [
        row["pk"]
        for row in qs.values(*fields)[:scan]
        if deadlines.state(SimpleNamespace(**row), now)[0] == deadlines.DUE_SOON
    ]
    return qs.filter(pk__in=ids)


def review_queue(user, memberships):
    return _base(user).filter(_centers_q(memberships), status=Status.REPLIED)


def callback_queue(user, memberships):
    return _base(user).filter(_centers_q(memberships), status=Status.REVIEWED)


SUPERVISE_TABS = {"overdue": "超期", "due_soon": "临期", "flagged": "督办与风险"}


def supervise_queue(user, tab: str, now=None):
    now = now or timezone.now()
    qs = _base(user)
    if tab == "overdue":
        return qs.filter(deadlines.overdue_q(now))
    if tab == "due_soon":
        # Due soon means less than a fifth of the limit left; limits run up to weeks, so
        # candidates are those due within 15 days, narrowed by `due_soon` in Python.
        return qs.filter(
            Q(status=Status.DISPATCHED, ack_deadline__gte=now)
            | Q(
                status__in=deadlines.HANDLING,
                handle_deadline__gte=now,
                handle_deadline__lt=now + timedelta(days=15),
            )
        )
    if tab == "flagged":
        # Open statuses named, not closed ones excluded: the status index then finds the
        # few open tickets instead of a scan of the whole history.
        return qs.filter(Q(is_supervised=True) | ~Q(risk_level=""), status__in=OPEN_STATUSES)
    raise KeyError(tab)


def counts(request, active) -> dict[str, str]:
    """Waiting work per queue of the active membership, for the navigation's counters."""
    from .listing import capped_count

    if active is None:
        return {}
    user = request.user
    role = active.role
    if role == Role.DISPATCHER:
        q = dispatch_queue(user, [active], "pending") | dispatch_queue(user, [active], "returns")
        return {"web:dispatch": capped_count(q)}
    if role in (Role.HANDLER, Role.LEADER):
        waiting = inbox_queue(user, active.unit, "ack") | inbox_queue(user, active.unit, "doing")
        return {"web:inbox": capped_count(waiting)}
    if role == Role.REVIEWER:
        return {"web:review": capped_count(review_queue(user, [active]))}
    if role == Role.CALLBACK:
        return {"web:callback": capped_count(callback_queue(user, [active]))}
    if role in (Role.SUPERVISOR, Role.ANALYST):
        return {"web:supervise": capped_count(supervise_queue(user, "overdue"))}
    return {}


def sort(qs, order: str):
    """Sort by deadline (soonest first), urgency (most urgent first) or age."""
    from django.db.models import Case, IntegerField, Value, When

    if order == "urgency":
        weight = Case(
            *[When(urgency=k, then=Value(v)) for k, v in URGENCY_ORDER.items()],
            output_field=IntegerField(),
        )
        return qs.annotate(urgency_weight=weight).order_by("urgency_weight", "created_at")
    if order == "deadline":
        # An expression, not the column: ordered by the bare column, PostgreSQL walks the
        # deadline index from the oldest, through every closed ticket, to find open ones.
        due = Coalesce("handle_deadline", "ack_deadline")
        return qs.order_by(due.asc(nulls_last=True), "created_at")
    return qs.order_by("created_at")
