"""Rule 1: every change of a ticket is one function here, one transaction, one TicketEvent.

Each function locks the ticket row, checks the actor's role and unit and the current state,
applies the change, appends the hash-chained event and the outbox row. Nothing else writes
`ticket.status`. A refused transition raises `IllegalTransition` (409) or `Forbidden` (403)
and changes nothing.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.catalog.calendar import add_limit
from hotline.catalog.models import LimitUnit
from hotline.catalog.policies import deadlines, policy_for
from hotline.errors import IllegalTransition, InvalidInput
from hotline.orgs.models import UNIT_ROLES, Role, Unit

from . import fastinsert, guards, history
from .guards import at_center, in_unit, require_status, text
from .models import (
    Assignment,
    AssignmentRole,
    RequestKind,
    RequestState,
    Satisfaction,
    Status,
    Ticket,
    TicketRequest,
)
from .registration import RegisterInput, new_ticket

LEAD_ROLES = UNIT_ROLES
DISPATCH_ROLES = {Role.DISPATCHER}
INTAKE_ROLES = {Role.AGENT, Role.DISPATCHER}
BEFORE_REPLY = {Status.REGISTERED, Status.PENDING_DISPATCH, Status.DISPATCHED, Status.IN_PROGRESS}


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("center__region", "lead_unit__region", "region", "category")
        .get(pk=ticket.pk)
    )


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


# ---- intake -------------------------------------------------------------------------------


def register(*, by, data: RegisterInput) -> tuple[Ticket, bool]:
    """Register a demand; returns (ticket, created). A known external reference returns the
    existing ticket (rule 6). A phone call taken by an agent awaits dispatch at once.

    The unique (channel, external_ref) constraint detects a repeat, rather than a lookup
    first: repeats are rare and the lookup would cost every registration a query."""
    from hotline.screening import services as screening  # screening imports tickets

    ticket, membership = new_ticket(by=by, data=data)
    # Screening first: a red risk makes the ticket 特急 before any deadline is computed.
    screened = screening.screen_new(ticket)
    # The event is built first so that the ticket row goes in once, with its chain head.
    event = history.build_event(
        ticket,
        action="register",
        from_status="",
        actor=by,
        actor_unit=membership.unit,
        data={"channel": ticket.channel, **screened.event_data},
        at=ticket.created_at,
    )
    try:
        with transaction.atomic():
            fastinsert.insert(ticket)
            history.save(ticket, event)
            screening.record_new(ticket, screened)
    except IntegrityError:
        if data.external_ref:
            found = Ticket.objects.filter(
                channel=data.channel, external_ref=data.external_ref
            ).first()
            if found is not None:
                return found, False
        raise
    return ticket, True


def resolve_at_intake(*, by, data: RegisterInput, reply: str, article: str = "") -> Ticket:
    """Register a demand the agent answered on the phone (直接办结), closed at once."""
    reply = text(reply, "reply", "答复内容", max_len=5000)
    if data.external_ref:
        found = Ticket.objects.filter(channel=data.channel, external_ref=data.external_ref).first()
        if found is not None:
            return found
    ticket, membership = new_ticket(by=by, data=data, status=Status.CLOSED)
    if membership.role != Role.AGENT:
        raise guards.forbidden("resolve_at_intake", {Role.AGENT}, "热线中心")
    from hotline.screening import services as screening  # screening imports tickets

    screened = screening.screen_new(ticket)
    ticket.reply = reply
    ticket.closed_at = ticket.replied_at = ticket.created_at
    event = history.build_event(
        ticket,
        action="resolve_at_intake",
        from_status="",
        actor=by,
        actor_unit=membership.unit,
        data={"channel": ticket.channel, "reply": reply, "article": article, **screened.event_data},
        at=ticket.created_at,
    )
    with transaction.atomic():
        fastinsert.insert(ticket)
        history.save(ticket, event)
        screening.record_new(ticket, screened)
    return ticket


@transaction.atomic
def accept(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """Accept a ticket that arrived from the web, a sub-center or Open311."""
    t = _lock(ticket)
    require_status(t, {Status.REGISTERED}, "accept")
    m = at_center(by, t, INTAKE_ROLES, "accept")
    t.status = Status.PENDING_DISPATCH
    _commit(
        t,
        action="accept",
        from_status=Status.REGISTERED,
        actor=by,
        unit=m.unit,
        data={"note": note},
    )
    return t


@transaction.atomic
def mark_invalid(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Mark a prank, abuse or non-demand as invalid."""
    t = _lock(ticket)
    require_status(t, {Status.REGISTERED, Status.PENDING_DISPATCH}, "mark_invalid")
    m = at_center(by, t, INTAKE_ROLES, "mark_invalid")
    reason = text(reason, "reason", "原因", min_len=2, max_len=1000)
    prior = t.status
    t.status = Status.INVALID
    t.closed_at = timezone.now()
    _commit(
        t, action="mark_invalid", from_status=prior, actor=by, unit=m.unit, data={"reason": reason}
    )
    return t


# ---- dispatch -----------------------------------------------------------------------------


def _check_target(t: Ticket, unit: Unit, field: str) -> Unit:
    unit = guards.active_unit(unit, field)
    if not t.center.region.covers(unit.region):
        raise InvalidInput(
            f"「{unit.name}」不在本中心辖区内",
            f"{field} is outside the center's region",
            field=field,
        )
    if unit.pk == t.center_id:
        raise InvalidInput("不能派给本中心", f"{field} cannot be the center itself", field=field)
    return unit


@transaction.atomic
def dispatch(*, ticket: Ticket, by, to_unit: Unit, assisting=(), note: str = "") -> Ticket:
    """Send the ticket to a lead unit (and assisting units), or on to a center below."""
    t = _lock(ticket)
    require_status(t, {Status.PENDING_DISPATCH}, "dispatch")
    m = at_center(by, t, DISPATCH_ROLES, "dispatch")
    to_unit = _check_target(t, to_unit, "to_unit")
    note = text(note, "note", "派单意见", min_len=0, max_len=1000)
    if to_unit.is_center:
        if assisting:
            raise InvalidInput(
                "转派下级中心时不能指定协办单位",
                "assisting units cannot go with a transfer",
                field="assisting",
            )
        prior_center = t.center
        t.center = to_unit
        _commit(
            t,
            action="transfer",
            from_status=t.status,
            actor=by,
            unit=m.unit,
            data={"from_center": prior_center.code, "to_center": to_unit.code, "note": note},
        )
        return t
    assisting = list(dict.fromkeys(assisting))
    for unit in assisting:
        _check_target(t, unit, "assisting")
        if unit.pk == to_unit.pk or unit.is_center:
            raise InvalidInput(
                "协办单位不能是主办单位或热线中心",
                "an assisting unit cannot be the lead unit or a center",
                field="assisting",
            )
    now = timezone.now()
    t.assignments.filter(is_active=True).update(is_active=False)
    Assignment.objects.bulk_create(
        [Assignment(ticket=t, unit=to_unit, role=AssignmentRole.LEAD, assigned_at=now)]
        + [
            Assignment(ticket=t, unit=u, role=AssignmentRole.ASSIST, assigned_at=now)
            for u in assisting
        ]
    )
    t.lead_unit = to_unit
    t.dispatched_at = now
    t.acknowledged_at = None
    t.ack_deadline, t.handle_deadline = deadlines(policy=_policy(t), start=now)
    t.status = Status.DISPATCHED
    _commit(
        t,
        action="dispatch",
        from_status=Status.PENDING_DISPATCH,
        actor=by,
        unit=m.unit,
        at=now,
        data={"lead": to_unit.code, "assisting": [u.code for u in assisting], "note": note},
    )
    from hotline.routing.services import record_dispatch  # lazy: routing imports tickets

    record_dispatch(ticket=t, to_unit=to_unit, by=by)
    return t


@transaction.atomic
def sub_dispatch(*, ticket: Ticket, by, to_unit: Unit, note: str = "") -> Ticket:
    """The lead unit passes the ticket down to a unit below it (下派); it keeps watching."""
    t = _lock(ticket)
    require_status(t, {Status.IN_PROGRESS}, "sub_dispatch")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "sub_dispatch")
    to_unit = guards.active_unit(to_unit, "to_unit")
    lead = t.lead_unit
    below = to_unit.is_within(lead) or (
        lead.region.covers(to_unit.region) and to_unit.region_id != lead.region_id
    )
    if to_unit.pk == lead.pk or to_unit.is_center or not below:
        raise InvalidInput(
            f"「{to_unit.name}」不是本单位的下级单位",
            "to_unit must be a unit below the lead unit",
            field="to_unit",
        )
    note = text(note, "note", "下派意见", min_len=0, max_len=1000)
    now = timezone.now()
    Assignment.objects.create(
        ticket=t,
        unit=to_unit,
        role=AssignmentRole.LEAD,
        parent=_lead_assignment(t),
        assigned_at=now,
    )
    t.lead_unit = to_unit
    t.acknowledged_at = None
    policy = _policy(t)
    t.ack_deadline = add_limit(now, policy.ack_value, policy.ack_unit)
    t.status = Status.DISPATCHED
    _commit(
        t,
        action="sub_dispatch",
        from_status=Status.IN_PROGRESS,
        actor=by,
        unit=m.unit,
        at=now,
        data={"from": lead.code, "to": to_unit.code, "note": note},
    )
    return t


@transaction.atomic
def acknowledge(*, ticket: Ticket, by) -> Ticket:
    """The lead unit signs for the ticket (签收); an assisting unit signs for its part."""
    t = _lock(ticket)
    lead_m = guards.scope.unit_membership(by, t.lead_unit, LEAD_ROLES)
    if lead_m is None:
        assist = (
            t.assignments.filter(
                is_active=True,
                role=AssignmentRole.ASSIST,
                acknowledged_at__isnull=True,
                unit__memberships__user=by,
                unit__memberships__role__in=LEAD_ROLES,
                unit__memberships__is_active=True,
            )
            .select_related("unit")
            .first()
        )
        if assist is not None and t.status in {Status.DISPATCHED, Status.IN_PROGRESS}:
            assist.acknowledged_at = timezone.now()
            assist.save(update_fields=["acknowledged_at"])
            _commit(
                t,
                action="acknowledge_assist",
                from_status=t.status,
                actor=by,
                unit=assist.unit,
                data={"unit": assist.unit.code},
            )
            return t
    require_status(t, {Status.DISPATCHED}, "acknowledge")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "acknowledge")
    now = timezone.now()
    t.acknowledged_at = now
    t.assignments.filter(is_active=True, unit=t.lead_unit).update(acknowledged_at=now)
    t.status = Status.IN_PROGRESS
    _commit(t, action="acknowledge", from_status=Status.DISPATCHED, actor=by, unit=m.unit, at=now)
    return t


# ---- returns and extensions ---------------------------------------------------------------


def _pending(t: Ticket, kind: str) -> TicketRequest | None:
    return t.requests.filter(kind=kind, state=RequestState.PENDING).first()


@transaction.atomic
def request_return(*, ticket: Ticket, by, reason: str) -> Ticket:
    """The lead unit asks to give back a ticket that is not its business (退单)."""
    t = _lock(ticket)
    require_status(t, {Status.DISPATCHED, Status.IN_PROGRESS}, "request_return")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "request_return")
    reason = text(reason, "reason", "退单理由", min_len=5, max_len=1000)
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


def _decide(req: TicketRequest, *, by, state, note, at):
    req.state = state
    req.decided_by = by
    req.decided_at = at
    req.decision_note = note
    req.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])


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


# ---- reply, review, callback --------------------------------------------------------------


@transaction.atomic
def reply(*, ticket: Ticket, by, body: str) -> Ticket:
    """The lead unit answers the citizen's demand (答复); the center reviews it next."""
    t = _lock(ticket)
    require_status(t, {Status.IN_PROGRESS}, "reply")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "reply")
    body = text(body, "body", "答复内容", min_len=5, max_len=5000)
    from hotline.screening import services as screening  # screening imports tickets

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


@transaction.atomic
def approve_reply(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """The reviewer lets the reply reach the citizen (审核通过)."""
    t = _lock(ticket)
    require_status(t, {Status.REPLIED}, "approve_reply")
    m = at_center(by, t, {Role.REVIEWER}, "approve_reply")
    note = text(note, "note", "审核意见", min_len=0, max_len=1000)
    from hotline.screening import services as screening  # screening imports tickets

    screening.require_approvable(t)
    t.status = Status.REVIEWED
    _commit(
        t,
        action="approve_reply",
        from_status=Status.REPLIED,
        actor=by,
        unit=m.unit,
        data={"note": note},
    )
    return t


@transaction.atomic
def reject_reply(*, ticket: Ticket, by, reason: str) -> Ticket:
    """The reviewer sends the reply back to the unit with a reason (审核退回)."""
    t = _lock(ticket)
    require_status(t, {Status.REPLIED}, "reject_reply")
    m = at_center(by, t, {Role.REVIEWER}, "reject_reply")
    reason = text(reason, "reason", "退回理由", min_len=2, max_len=1000)
    t.status = Status.IN_PROGRESS
    _commit(
        t,
        action="reject_reply",
        from_status=Status.REPLIED,
        actor=by,
        unit=m.unit,
        data={"reason": reason},
    )
    return t


def _restart_handling(t: Ticket, now) -> None:
    policy = _policy(t)
    t.reopen_count += 1
    t.handle_deadline = add_limit(now, policy.handle_value, policy.handle_unit)
    t.replied_at = t.closed_at = None
    t.satisfaction = ""
    t.resolved = None


@transaction.atomic
def callback(*, ticket: Ticket, by, satisfaction: str, resolved: bool | None, note: str = ""):
    """Record the citizen's verdict (回访); unsatisfied reopens the ticket to the same unit."""
    t = _lock(ticket)
    require_status(t, {Status.REVIEWED}, "callback")
    m = at_center(by, t, {Role.CALLBACK}, "callback")
    if satisfaction not in Satisfaction.values:
        raise InvalidInput(
            "满意度取值无效",
            f"satisfaction must be one of {Satisfaction.values}",
            field="satisfaction",
        )
    note = text(note, "note", "回访记录", min_len=0, max_len=2000)
    now = timezone.now()
    data = {"satisfaction": satisfaction, "resolved": resolved, "note": note}
    if satisfaction == Satisfaction.UNSATISFIED:
        _restart_handling(t, now)
        t.status = Status.IN_PROGRESS
        data["reopened"] = True
    else:
        t.satisfaction = satisfaction
        t.resolved = resolved
        t.closed_at = now
        t.status = Status.CLOSED
    _commit(
        t, action="callback", from_status=Status.REVIEWED, actor=by, unit=m.unit, at=now, data=data
    )
    return t


@transaction.atomic
def close(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Close a reviewed ticket without a callback (anonymous, or the citizen declined)."""
    t = _lock(ticket)
    require_status(t, {Status.REVIEWED}, "close")
    m = at_center(by, t, {Role.CALLBACK, Role.REVIEWER}, "close")
    reason = text(reason, "reason", "办结说明", min_len=2, max_len=1000)
    t.closed_at = timezone.now()
    t.status = Status.CLOSED
    _commit(
        t,
        action="close",
        from_status=Status.REVIEWED,
        actor=by,
        unit=m.unit,
        at=t.closed_at,
        data={"reason": reason},
    )
    return t


@transaction.atomic
def reopen(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Reopen a closed ticket within the policy's window (重办), to the same unit."""
    t = _lock(ticket)
    require_status(t, {Status.CLOSED}, "reopen")
    m = at_center(by, t, {Role.CALLBACK, Role.AGENT, Role.DISPATCHER}, "reopen")
    reason = text(reason, "reason", "重办理由", min_len=2, max_len=1000)
    now = timezone.now()
    window = _policy(t).reopen_window_days
    if t.closed_at and (now - t.closed_at).days > window:
        raise IllegalTransition(
            f"办结已超过{window}天，不能重办", f"closed more than {window} days ago; cannot reopen"
        )
    _restart_handling(t, now)
    t.status = Status.IN_PROGRESS if t.lead_unit_id else Status.PENDING_DISPATCH
    _commit(
        t,
        action="reopen",
        from_status=Status.CLOSED,
        actor=by,
        unit=m.unit,
        at=now,
        data={"reason": reason},
    )
    return t


# ---- merge, supervise ---------------------------------------------------------------------


@transaction.atomic
def merge(*, ticket: Ticket, into: Ticket, by, note: str = "") -> Ticket:
    """Merge a duplicate into the ticket that carries the demand on (并单)."""
    if ticket.pk == into.pk:
        raise InvalidInput("不能与自身并单", "a ticket cannot be merged into itself", field="into")
    # Lock both rows in id order so that two opposite merges cannot deadlock.
    first, second = sorted([ticket, into], key=lambda x: x.pk)
    locked = {x.pk: _lock(x) for x in (first, second)}
    t, target = locked[ticket.pk], locked[into.pk]
    require_status(t, BEFORE_REPLY, "merge")
    if target.status in {Status.MERGED, Status.INVALID, Status.CLOSED}:
        raise IllegalTransition(
            "目标工单已办结、无效或已并单", "the target ticket is not open", field="into"
        )
    m = at_center(by, t, INTAKE_ROLES, "merge")
    at_center(by, target, INTAKE_ROLES, "merge")
    note = text(note, "note", "并单说明", min_len=0, max_len=1000)
    prior = t.status
    t.status = Status.MERGED
    t.merged_into = target
    t.closed_at = timezone.now()
    t.assignments.filter(is_active=True).update(is_active=False)
    _commit(
        t,
        action="merge",
        from_status=prior,
        actor=by,
        unit=m.unit,
        data={"into": target.number, "note": note},
    )
    _commit(
        target,
        action="absorb",
        from_status=target.status,
        actor=by,
        unit=m.unit,
        data={"merged": t.number},
    )
    return t


@transaction.atomic
def supervise(*, ticket: Ticket, by, reason: str, level: str = "center") -> Ticket:
    """Put the ticket under supervision (督办); a mark, not a status."""
    t = _lock(ticket)
    if t.status not in {*BEFORE_REPLY, Status.RETURN_REQUESTED, Status.REPLIED, Status.REVIEWED}:
        require_status(t, set(), "supervise")
    m = guards.scope.region_membership(by, t.region or t.center.region, {Role.SUPERVISOR})
    if m is None:
        raise guards.forbidden("supervise", {Role.SUPERVISOR}, "辖区")
    reason = text(reason, "reason", "督办事由", min_len=2, max_len=1000)
    if level not in {"center", "office"}:
        raise InvalidInput(
            "督办级别须为 center 或 office", "level must be center or office", field="level"
        )
    t.is_supervised = True
    _commit(
        t,
        action="supervise",
        from_status=t.status,
        actor=by,
        unit=m.unit,
        data={"reason": reason, "level": level},
    )
    return t
