"""补充 / 催办: a citizen calls again about a ticket that is still open.

Neither changes the status: the ticket's history gains one event with what the citizen
added (补充诉求) or that they pressed for it (催办), so the unit and the supervisors see it.
"""

from django.db import transaction

from hotline.errors import InvalidInput
from hotline.orgs import scope

from .. import guards
from ..guards import require_status, text
from ..models import Status, Ticket
from ._base import INTAKE_ROLES, _commit, _lock

FOLLOW_UPS = {"supplement", "urge"}
# A closed ticket is reopened, not followed up; merged and invalid ones have nothing to add to.
OPEN = set(Status) - {Status.CLOSED, Status.MERGED, Status.INVALID}


@transaction.atomic
def follow_up(*, ticket: Ticket, by, kind: str, note: str, call_ref: str = "") -> Ticket:
    """Record a 补充 (kind "supplement") or 催办 ("urge") on an open ticket the agent can see."""
    if kind not in FOLLOW_UPS:
        raise InvalidInput("类型须为补充或催办", "kind must be supplement or urge", field="kind")
    t = _lock(ticket, self_handled_ok=True)  # a sub-center's own case can be pressed too
    require_status(t, OPEN, kind)
    membership = next(
        (m for m in scope.memberships(by) if m.role in INTAKE_ROLES and m.unit.is_center), None
    )
    if membership is None or not scope.is_visible(by, t):
        raise guards.forbidden(kind, INTAKE_ROLES, "热线中心")
    min_len = 2 if kind == "supplement" else 0
    note = text(
        note,
        "note",
        "补充内容" if kind == "supplement" else "催办说明",
        min_len=min_len,
        max_len=2000,
    )
    data = {"note": note}
    if call_ref:
        data["call"] = call_ref
    _commit(t, action=kind, from_status=t.status, actor=by, unit=membership.unit, data=data)
    return t
