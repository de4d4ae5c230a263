"""110 linkage steps in a ticket's history: marks, not status changes.

A hand-over to the police, their acknowledgement, progress and conclusion, the alert when
they do not acknowledge in time, and the result of a demand they handed to 12345 each append
one hash-chained event and its outbox row; the outbox delivers the step to the partner.
Who may take a step is the exchange's business (hotline/exchange/police.py): a center's
staff hand over, only the partner a hand-over went to reports on it.
"""

from django.db import transaction

from ..models import Ticket, TicketEvent
from ._base import _commit, _lock

POLICE_ACTIONS = {
    "police_handover",
    "police_acknowledge",
    "police_progress",
    "police_conclude",
    "police_ack_overdue",
    "police_result",
}


@transaction.atomic
def police_step(*, ticket: Ticket, action: str, data: dict, by=None, unit=None) -> TicketEvent:
    """Append one 110 linkage step (`action` of POLICE_ACTIONS) to the ticket's history."""
    if action not in POLICE_ACTIONS:
        raise ValueError(f"not a police linkage step: {action}")
    # Any state: the police may report on a ticket the center has closed meanwhile, and a
    # self-handled case may be handed over too.
    t = _lock(ticket, self_handled_ok=True)
    return _commit(t, action=action, from_status=t.status, actor=by, unit=unit, data=data)
