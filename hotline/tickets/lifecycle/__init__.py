"""Rule 1: every change of a ticket is one function here, one transaction, one TicketEvent.

Each function locks the ticket row, checks the actor's role and unit and the current state,
applies the change, appends the hash-chained event and the outbox row. Nothing else writes
`ticket.status`. A refused transition raises `IllegalTransition` (409) or `Forbidden` (403)
and changes nothing.

The functions live in one module per concern (intake, dispatching, handling, review,
supervising, approval, batch, merging); callers import this package and call
`lifecycle.<transition>(...)`.
"""

from ._base import BEFORE_REPLY, DISPATCH_ROLES, INTAKE_ROLES, LEAD_ROLES
from .approval import (
    leader_reject,
    needs_leader,
    pending_approval,
    waiting_for,
    withdraw_submission,
)
from .attachments import attach, may_attach
from .batch import Registered, register_many
from .dispatching import acknowledge, dispatch, on_dispatch, sub_dispatch
from .followup import follow_up
from .handling import (
    approve_extension,
    approve_return,
    reject_extension,
    reject_return,
    reply,
    request_extension,
    request_return,
)
from .intake import accept, mark_invalid, register, resolve_at_intake
from .leader import leader_approve
from .limits import tighten_deadline
from .merging import Merged, merge, merge_many
from .police import POLICE_ACTIONS, police_step
from .review import approve_reply, callback, close, reject_reply, reopen
from .self_handled import report_self_handled
from .supervising import supervise

__all__ = [
    "BEFORE_REPLY",
    "DISPATCH_ROLES",
    "INTAKE_ROLES",
    "LEAD_ROLES",
    "Registered",
    "accept",
    "acknowledge",
    "approve_extension",
    "attach",
    "approve_reply",
    "approve_return",
    "callback",
    "close",
    "dispatch",
    "follow_up",
    "leader_approve",
    "leader_reject",
    "mark_invalid",
    "may_attach",
    "merge",
    "merge_many",
    "Merged",
    "police_step",
    "POLICE_ACTIONS",
    "needs_leader",
    "on_dispatch",
    "pending_approval",
    "register",
    "register_many",
    "reject_extension",
    "reject_reply",
    "reject_return",
    "reopen",
    "reply",
    "report_self_handled",
    "request_extension",
    "request_return",
    "resolve_at_intake",
    "sub_dispatch",
    "supervise",
    "tighten_deadline",
    "waiting_for",
    "withdraw_submission",
]
