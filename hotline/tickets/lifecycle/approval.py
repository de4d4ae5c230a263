"""The unit leader's approval (分管领导审批) of a handler's reply, extension or return.

A unit that sets `leader_approval` keeps what its handlers submit inside the unit: the
transition's input is held as a `LeaderApproval` and the ticket only gets a
`submit_to_leader` event. The leader's `leader_approve` (leader.py) performs the transition itself, as
the leader, with exactly the checks it has when a handler takes it directly (so a ticket
that moved on meanwhile refuses it and nothing changes); `leader_reject` sends it back with
a reason; the handler who submitted it may take it back first (`withdraw_submission`). A leader's own reply, extension or return needs no approval.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hotline.errors import Forbidden, IllegalTransition
from hotline.orgs import scope
from hotline.orgs.models import Role

from ..guards import in_unit, text
from ..models import ApprovalState, LeaderApproval, Status, Ticket
from ._base import LEAD_ROLES, _commit, _decide, _lock

LEADER = {Role.LEADER}


def needs_leader(by, t: Ticket) -> bool:
    """Whether `by`'s submission on `t` waits for the lead unit's leader."""
    unit = t.lead_unit
    return bool(
        unit is not None
        and unit.leader_approval
        and scope.unit_membership(by, unit, LEADER) is None
    )


def pending_approval(t: Ticket) -> LeaderApproval | None:
    """What the lead unit's leader has still to decide on `t`, if anything."""
    if t.lead_unit_id is None:
        return None
    return (
        t.approvals.filter(unit_id=t.lead_unit_id, state=ApprovalState.PENDING)
        .select_related("unit", "submitted_by")
        .first()
    )


def waiting_for(unit_ids):
    """The pending matters of these units, of tickets the units still lead and that are
    open, oldest first."""
    return (
        LeaderApproval.objects.filter(
            unit_id__in=unit_ids, state=ApprovalState.PENDING, ticket__lead_unit_id=F("unit_id")
        )
        .exclude(ticket__status__in=[Status.CLOSED, Status.MERGED, Status.INVALID])
        .order_by("submitted_at", "id")
    )


def not_held(t: Ticket) -> None:
    """A reply, extension or return waits while another matter of the ticket is held for
    the leader: one matter at a time per ticket and unit, whoever takes the next step."""
    if pending_approval(t) is not None:
        raise IllegalTransition(
            "该工单有待分管领导审批的事项，请先等待（或由分管领导先行）审批",
            "a matter of this ticket is waiting for the unit leader; decide it first",
        )


def submit(t: Ticket, *, by, membership, action: str, payload: dict) -> Ticket:
    """Hold `action` with its checked `payload` for the leader (inside the caller's
    transaction, `t` locked, `not_held` checked)."""
    now = timezone.now()
    LeaderApproval.objects.create(
        ticket=t,
        unit=t.lead_unit,
        action=action,
        payload=payload,
        state=ApprovalState.PENDING,
        submitted_by=by,
        submitted_at=now,
    )
    _commit(
        t,
        action="submit_to_leader",
        from_status=t.status,
        actor=by,
        unit=membership.unit,
        at=now,
        data={"for": action, **payload},
    )
    return t


def _decision(ticket: Ticket, by, action: str):
    t = _lock(ticket)
    m = in_unit(by, t.lead_unit, LEADER, action)
    matter = pending_approval(t)
    if matter is None:
        raise IllegalTransition("没有待分管领导审批的事项", "nothing is waiting for the leader")
    return t, m, matter


@transaction.atomic
def leader_reject(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Send the held matter back to the handler with a reason; the ticket stays as it is."""
    t, m, matter = _decision(ticket, by, "leader_reject")
    reason = text(reason, "reason", "驳回理由", min_len=2, max_len=1000)
    now = timezone.now()
    _decide(matter, by=by, state=ApprovalState.REJECTED, note=reason, at=now)
    _commit(
        t,
        action="leader_reject",
        from_status=t.status,
        actor=by,
        unit=m.unit,
        at=now,
        data={"for": matter.action, "submitted_by": matter.submitted_by.username, "reason": reason},
    )
    return t


@transaction.atomic
def withdraw_submission(*, ticket: Ticket, by) -> Ticket:
    """The handler who submitted the held matter takes it back (to correct it, say) before
    the leader decides; the ticket stays as it is."""
    t = _lock(ticket)
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "withdraw_submission")
    matter = pending_approval(t)
    if matter is None:
        raise IllegalTransition("没有待分管领导审批的事项", "nothing is waiting for the leader")
    if matter.submitted_by_id != by.pk:
        raise Forbidden(
            "只有提交人可以撤回待审批事项", "only who submitted the matter may withdraw it"
        )
    now = timezone.now()
    _decide(matter, by=by, state=ApprovalState.WITHDRAWN, note="", at=now)
    _commit(
        t,
        action="withdraw_submission",
        from_status=t.status,
        actor=by,
        unit=m.unit,
        at=now,
        data={"for": matter.action},
    )
    return t
