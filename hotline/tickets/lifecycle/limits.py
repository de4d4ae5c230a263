"""A stricter handling limit (专题或重点群体时限): the deadline moves earlier, never later."""

from django.db import transaction
from django.utils import timezone

from hotline.errors import InvalidInput
from hotline.orgs.models import Role

from .. import guards
from ..guards import require_status, text
from ..models import Status, Ticket
from ._base import _commit, _lock

TIGHTEN_STATUSES = {Status.DISPATCHED, Status.IN_PROGRESS}


@transaction.atomic
def tighten_deadline(*, ticket: Ticket, by, deadline, reason: str) -> Ticket:
    """Bring the handling deadline forward to `deadline` (a topic's or a citizen mark's shorter
    limit); a supervisor of the ticket's region, or the center's system account, does it."""
    t = _lock(ticket)
    require_status(t, TIGHTEN_STATUSES, "tighten_deadline")
    m = guards.scope.region_membership(by, t.region or t.center.region, {Role.SUPERVISOR})
    if m is None:
        raise guards.forbidden("tighten_deadline", {Role.SUPERVISOR}, "辖区")
    reason = text(reason, "reason", "时限调整理由", min_len=2, max_len=200)
    if t.handle_deadline is not None and deadline >= t.handle_deadline:
        raise InvalidInput(
            "新时限须早于当前办理时限", "the new deadline must be earlier", field="deadline"
        )
    if deadline <= timezone.now():
        raise InvalidInput(
            "新时限须晚于当前时间", "deadline must be in the future", field="deadline"
        )
    before = t.handle_deadline
    t.handle_deadline = deadline
    _commit(
        t,
        action="tighten_deadline",
        from_status=t.status,
        actor=by,
        unit=m.unit,
        data={
            "reason": reason,
            "handle_deadline": deadline.isoformat(),
            "was": before.isoformat() if before else None,
        },
    )
    return t
