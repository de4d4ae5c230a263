"""Status reports of tickets a connected system handles itself (自办件报送).

Such a system sends its cases into the network for unified statistics and keeps handling
them: it reports acknowledged, replied, closed (with the citizen's satisfaction) and
reopened. Each report is one transition here, with its event in the hash chain and its
outbox row, like any other change; the ticket's times are the system's own times of the
change, so handling times count as the system measured them.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.exchange.models import SelfHandledTicket

from ..guards import text
from ..models import Satisfaction, Status, Ticket
from ._base import _commit, _lock

# The state a system reports -> (the statuses it may come from, the status it leads to).
REPORTS = {
    "acknowledged": ({Status.REGISTERED}, Status.IN_PROGRESS),
    "replied": ({Status.REGISTERED, Status.IN_PROGRESS}, Status.REVIEWED),
    "closed": ({Status.REGISTERED, Status.IN_PROGRESS, Status.REVIEWED}, Status.CLOSED),
    "reopened": ({Status.CLOSED}, Status.IN_PROGRESS),
}
MAX_SKEW = timedelta(minutes=5)


def report_self_handled(
    *,
    ticket: Ticket,
    by,
    state: str,
    at,
    reply: str = "",
    satisfaction: str = "",
    resolved: bool | None = None,
    note: str = "",
) -> tuple[Ticket, str]:
    """Apply a connected system's report on a ticket it handles itself; returns (ticket,
    outcome): "applied", "unchanged" (this very report was applied before) or "stale" (a
    newer report was applied already: nothing changes). Only the system that sent the
    ticket, through its service user, may report on it."""
    with transaction.atomic():
        t = _lock(ticket, self_handled_ok=True)
        if not t.is_self_handled:
            raise IllegalTransition(
                "该工单不是接入系统自办件", "the ticket is not handled by a connected system"
            )
        marker = SelfHandledTicket.objects.select_related("system__unit").get(ticket_id=t.pk)
        if marker.system.service_user_id != getattr(by, "pk", None):
            raise Forbidden(
                "只有报送该工单的接入系统可以更新其状态",
                "only the system that sent the ticket may report its status",
            )
        if state not in REPORTS:
            raise InvalidInput(
                f"状态取值无效：{state}", f"state must be one of {sorted(REPORTS)}", field="state"
            )
        if at > timezone.now() + MAX_SKEW:
            raise InvalidInput("报送时间晚于当前时间", "at is in the future", field="at")
        if marker.reported_at is not None:
            if at < marker.reported_at:
                return t, "stale"
            if at == marker.reported_at and state == marker.state:
                return t, "unchanged"
        allowed, to_status = REPORTS[state]
        if t.status not in allowed:
            raise IllegalTransition(
                f"工单当前状态为「{t.get_status_display()}」，不能报送「{state}」",
                f"cannot report {state} while the ticket is {t.status}",
                field="state",
            )
        data = _apply(t, state, at, reply, satisfaction, resolved, note)
        prior = t.status
        t.status = to_status
        data.update({"system": marker.system.code, "state": state, "at": at.isoformat()})
        _commit(t, action="self_report", from_status=prior, actor=by, unit=marker.system.unit,
                data=data)  # fmt: skip
        marker.state, marker.reported_at = state, at
        marker.save(update_fields=["state", "reported_at"])
        return t, "applied"


def _apply(t: Ticket, state, at, reply, satisfaction, resolved, note) -> dict:
    note = text(note, "note", "说明", min_len=0, max_len=1000)
    data = {"note": note} if note else {}
    if state == "acknowledged":
        t.acknowledged_at = at
    elif state == "replied":
        t.reply = text(reply, "reply", "答复内容", min_len=1, max_len=5000)
        t.replied_at = at
        data["reply"] = t.reply
    elif state == "closed":
        if satisfaction and satisfaction not in Satisfaction.values:
            raise InvalidInput(
                "满意度取值无效",
                f"satisfaction must be one of {Satisfaction.values}",
                field="satisfaction",
            )
        if reply:
            t.reply = text(reply, "reply", "答复内容", min_len=1, max_len=5000)
            t.replied_at = t.replied_at or at
            data["reply"] = t.reply
        t.satisfaction, t.resolved, t.closed_at = satisfaction, resolved, at
        data.update({"satisfaction": satisfaction, "resolved": resolved})
    else:  # reopened
        t.reopen_count += 1
        t.closed_at = None
        t.satisfaction, t.resolved = "", None
    return data
