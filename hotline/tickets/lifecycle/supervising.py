"""Supervision (督办): a mark on the ticket, not a status."""

from django.db import transaction

from hotline.errors import InvalidInput
from hotline.orgs.models import Role

from .. import guards
from ..guards import require_status, text
from ..models import Status, Ticket
from ._base import BEFORE_REPLY, _commit, _lock


@transaction.atomic
def supervise(*, ticket: Ticket, by, reason: str, level: str = "center") -> Ticket:
    """Put the ticket under supervision (督办); a mark, not a status."""
    t = _lock(ticket, self_handled_ok=True)  # supervision watches self-handled cases too
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
