"""A unit's handling: returns (退单), extensions (延期) and the reply (答复)."""

from django.db import transaction
from django.utils import timezone

from hotline.catalog.calendar import add_limit
from hotline.catalog.models import LimitUnit
from hotline.errors import IllegalTransition, InvalidInput
from hotline.orgs.models import Role

from ..guards import at_center, in_unit, require_status, text
from ..models import RequestKind, RequestState, Status, Ticket, TicketRequest
from ._base import (
    DISPATCH_ROLES,
    LEAD_ROLES,
    _commit,
    _decide,
    _lead_assignment,
    _lock,
    _policy,
)
from .approval import needs_leader, not_held, submit


def _pending(t: Ticket, kind: str) -> TicketRequest | None:
    return t.requests.filter(kind=kind, state=RequestState.PENDING).first()


@transaction.atomic
def request_return(*, ticket: Ticket, by, reason: str) -> Ticket:
    """The lead unit asks to give back a ticket that is not its business (退单)."""
    t = _lock(ticket)
    require_status(t, {Status.DISPATCHED, Status.IN_PROGRESS}, "request_return")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "request_return")
    not_held(t)
    reason = text(reason, "reason", "退单理由", min_len=5, max_len=1000)
    if needs_leader(by, t):
        return submit(t, by=by, membership=m, action="request_return", payload={"reason": reason})
    now = timezone.now()
    TicketRequest.objects.create(
        ticket=t,
        kind=RequestKind.RETURN,
        state=RequestState.PENDING,
        unit=t.lead_unit,
        reason=reason,
        prior_status=t.status,
        requested_by=by,
        requested_at=now,
    )
    prior = t.status
    t.status = Status.RETURN_REQUESTED
    _commit(
        t,
        action="request_return",
        from_status=prior,
        actor=by,
        unit=m.unit,
        at=now,
        data={"reason": reason},
    )
    return t


def _return_decider(by, t: Ticket, action: str):
    """A sub-dispatched ticket goes back to the unit above; otherwise to the center."""
    lead = _lead_assignment(t)
    if lead is not None and lead.parent_id is not None:
        return in_unit(by, lead.parent.unit, LEAD_ROLES, action), lead
    return at_center(by, t, DISPATCH_ROLES, action), lead


@transaction.atomic
def approve_return(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """Take the ticket back: to the unit above after a sub-dispatch, else to the dispatcher."""
    t = _lock(ticket)
    require_status(t, {Status.RETURN_REQUESTED}, "approve_return")
    m, lead = _return_decider(by, t, "approve_return")
    note = text(note, "note", "审批意见", min_len=0, max_len=1000)
    now = timezone.now()
    _decide(_pending(t, RequestKind.RETURN), by=by, state=RequestState.APPROVED, note=note, at=now)
    returned_by = t.lead_unit
    t.return_count += 1
    if lead is not None and lead.parent_id is not None:
        lead.is_active = False
        lead.save(update_fields=["is_active"])
        t.lead_unit = lead.parent.unit
        t.status = Status.IN_PROGRESS
    else:
        t.assignments.filter(is_active=True).update(is_active=False)
        t.lead_unit = None
        t.ack_deadline = t.handle_deadline = t.acknowledged_at = None
        t.status = Status.PENDING_DISPATCH
    _commit(
        t,
        action="approve_return",
        from_status=Status.RETURN_REQUESTED,
        actor=by,
        unit=m.unit,
        at=now,
        data={"unit": returned_by.code, "note": note},
    )
    return t


@transaction.atomic
def reject_return(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Refuse the return: the unit keeps the ticket, in the state it was in."""
    t = _lock(ticket)
    require_status(t, {Status.RETURN_REQUESTED}, "reject_return")
    m, _ = _return_decider(by, t, "reject_return")
    reason = text(reason, "reason", "驳回理由", min_len=2, max_len=1000)
    req = _pending(t, RequestKind.RETURN)
    _decide(req, by=by, state=RequestState.REJECTED, note=reason, at=timezone.now())
    t.status = req.prior_status
    _commit(
        t,
        action="reject_return",
        from_status=Status.RETURN_REQUESTED,
        actor=by,
        unit=m.unit,
        data={"reason": reason},
    )
    return t


@transaction.atomic
def request_extension(*, ticket: Ticket, by, days: int, reason: str) -> Ticket:
    """Ask for more working days (延期); the policy caps how many and how long."""
    t = _lock(ticket)
    require_status(t, {Status.IN_PROGRESS}, "request_extension")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "request_extension")
    not_held(t)
    policy = _policy(t)
    if not isinstance(days, int) or not 1 <= days <= policy.max_extension_days:
        raise InvalidInput(
            f"延期天数须为1至{policy.max_extension_days}个工作日",
            f"days must be 1..{policy.max_extension_days} working days",
            field="days",
        )
    reason = text(reason, "reason", "延期理由", min_len=5, max_len=1000)
    if t.extension_count >= policy.max_extensions:
        raise IllegalTransition(
            f"已延期{t.extension_count}次，达到上限",
            f"the limit of {policy.max_extensions} extensions is reached",
            field="days",
        )
    if _pending(t, RequestKind.EXTENSION) is not None:
        raise IllegalTransition("已有待审批的延期申请", "an extension request is already pending")
    if needs_leader(by, t):
        payload = {"days": days, "reason": reason}
        return submit(t, by=by, membership=m, action="request_extension", payload=payload)
    now = timezone.now()
    TicketRequest.objects.create(
        ticket=t,
        kind=RequestKind.EXTENSION,
        state=RequestState.PENDING,
        unit=t.lead_unit,
        reason=reason,
        days=days,
        requested_by=by,
        requested_at=now,
    )
    _commit(
        t,
        action="request_extension",
        from_status=t.status,
        actor=by,
        unit=m.unit,
        at=now,
        data={"days": days, "reason": reason},
    )
    return t


def _extension_decision(ticket, by, note, action, approve):
    t = _lock(ticket)
    req = _pending(t, RequestKind.EXTENSION)
    if req is None or t.status in {Status.CLOSED, Status.MERGED, Status.INVALID}:
        raise IllegalTransition("没有待审批的延期申请", "there is no pending extension request")
    m = at_center(by, t, DISPATCH_ROLES | {Role.SUPERVISOR}, action)
    now = timezone.now()
    data = {"days": req.days, "note": note}
    if approve:
        t.extension_count += 1
        t.handle_deadline = add_limit(t.handle_deadline or now, req.days, LimitUnit.WORKING_DAYS)
        data["handle_deadline"] = t.handle_deadline.isoformat()
    _decide(
        req,
        by=by,
        state=RequestState.APPROVED if approve else RequestState.REJECTED,
        note=note,
        at=now,
    )
    _commit(t, action=action, from_status=t.status, actor=by, unit=m.unit, at=now, data=data)
    return t


@transaction.atomic
def approve_extension(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """Grant the pending extension: the handling deadline moves by its working days."""
    note = text(note, "note", "审批意见", min_len=0, max_len=1000)
    return _extension_decision(ticket, by, note, "approve_extension", True)


@transaction.atomic
def reject_extension(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Refuse the pending extension; the deadline stays."""
    reason = text(reason, "reason", "驳回理由", min_len=2, max_len=1000)
    return _extension_decision(ticket, by, reason, "reject_extension", False)


@transaction.atomic
def reply(*, ticket: Ticket, by, body: str) -> Ticket:
    """The lead unit answers the citizen's demand (答复); the center reviews it next."""
    t = _lock(ticket)
    require_status(t, {Status.IN_PROGRESS}, "reply")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "reply")
    not_held(t)
    body = text(body, "body", "答复内容", min_len=5, max_len=5000)
    from hotline.screening import services as screening  # screening imports tickets

    if needs_leader(by, t):
        screening.refuse_blocked(t, body)  # the handler fixes it before the leader sees it
        return submit(t, by=by, membership=m, action="reply", payload={"body": body})
    # A reply the automatic check blocks is refused whole: the handler fixes it and replies.
    review = screening.review_reply(ticket=t, body=body, by=by)
    t.reply = body
    t.replied_at = timezone.now()
    t.status = Status.REPLIED
    _commit(
        t,
        action="reply",
        from_status=Status.IN_PROGRESS,
        actor=by,
        unit=m.unit,
        at=t.replied_at,
        data={"body": t.reply, "review": review.verdict},
    )
    return t
