"""After the reply: review (审核), callback (回访), close without callback, reopen (重办)."""

from django.db import transaction
from django.utils import timezone

from hotline.catalog.calendar import add_limit
from hotline.errors import IllegalTransition, InvalidInput
from hotline.orgs.models import Role

from ..guards import at_center, require_status, text
from ..models import Satisfaction, Status, Ticket
from ._base import _commit, _lock, _policy


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
    screening.record_review_decision(ticket=t, by=by, send_back=False)
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
    from hotline.screening import services as screening  # screening imports tickets

    screening.record_review_decision(ticket=t, by=by, send_back=True)
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
