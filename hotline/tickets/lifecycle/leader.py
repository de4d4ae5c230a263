"""The leader's approval of a held matter (分管领导审批): the matter's transition, performed
as the leader. Apart from approval.py because the transitions (handling.py) submit through
approval.py: this one module sits above both, so that neither imports the other back."""

from django.db import transaction
from django.utils import timezone

from ..guards import text
from ..models import ApprovalState, Ticket
from . import handling
from ._base import _commit, _decide
from .approval import _decision


@transaction.atomic
def leader_approve(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """Approve the held matter: it is recorded, then its transition runs as the leader's."""
    t, m, matter = _decision(ticket, by, "leader_approve")
    note = text(note, "note", "审批意见", min_len=0, max_len=1000)
    now = timezone.now()
    _decide(matter, by=by, state=ApprovalState.APPROVED, note=note, at=now)
    _commit(
        t,
        action="leader_approve",
        from_status=t.status,
        actor=by,
        unit=m.unit,
        at=now,
        data={"for": matter.action, "submitted_by": matter.submitted_by.username, "note": note},
    )
    perform = getattr(handling, matter.action)
    return perform(ticket=t, by=by, **matter.payload)
