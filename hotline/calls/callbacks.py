"""回拨: no citizen left unanswered.

A call abandoned after more than `CALLS_SHORT_ABANDON_SECONDS` of waiting, and every
留言 (voicemail), becomes one CallbackItem with a time limit from catalog.calendar (working
hours by default, or natural hours when `CALLS_CALLBACK_HOURS` is set). An agent takes it,
calls back with one click (dialing.py), and records the outcome. An item past its time limit
is told once to the center's callback agents and supervisors (warn_overdue, a worker job).
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hotline.catalog import calendar
from hotline.catalog.calendar import to_local
from hotline.errors import ErrorCode, HotlineError, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import Membership, Role, Unit
from hotline.supervision import notify

from . import conf
from .models import Call, CallbackItem, CallbackStatus, Outcome

QUALIFYING = {Outcome.ABANDONED, Outcome.VOICEMAIL}
CALLBACK_ROLES = {Role.AGENT, Role.CALLBACK}
# What an agent may record after calling back.
FINAL = {CallbackStatus.DONE, CallbackStatus.UNREACHABLE}


class CallbackConflict(HotlineError):
    status = 409
    code = ErrorCode.CONFLICT


def due_at(start):
    """The 回拨 time limit for an item created at `start`."""
    value, unit = conf.callback_limit()
    return calendar.add_limit(start, value, unit)


def on_call_changed(call: Call, before: dict | None = None) -> None:
    """Open a 回拨 item for a call that now qualifies; withdraw an untouched one that no
    longer does (a late 'answered' event turned an abandon into an answered call).

    `before` (the call's derived fields before this change) spares the queries when the
    outcome did not move: most events of a call (ringing, held …) never touch its 回拨."""
    if before is not None and (before["outcome"], before["caller"]) == (call.outcome, call.caller):
        return
    if call.direction == "inbound" and call.outcome in QUALIFYING and call.caller:
        if not CallbackItem.objects.filter(call=call).exists():
            start = call.ended_at or call.offered_at
            CallbackItem.objects.create(
                call=call,
                center_id=call.center_id,
                number=call.caller,
                reason=call.outcome,
                created_at=start,
                due_at=due_at(start),
            )
        return
    if before is None or before["outcome"] in QUALIFYING:
        CallbackItem.objects.filter(call=call, status=CallbackStatus.OPEN, attempts=0).delete()


def visible_items(user):
    """The 回拨 items of the centers where `user` is an agent or callback agent (and below)."""
    paths = [
        m.unit.path
        for m in scope.memberships(user)
        if m.role in CALLBACK_ROLES and m.unit.is_center
    ]
    if getattr(user, "is_superuser", False):
        return CallbackItem.objects.all()
    if not paths:
        return CallbackItem.objects.none()
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(center__in=Unit.objects.filter(path__startswith=path))
    return CallbackItem.objects.filter(condition)


def queue(user, *, status: str | None = None):
    """The 回拨 queue as `user` works it: open ones first, the most urgent first."""
    items = visible_items(user).select_related("call")
    if status:
        items = items.filter(status=status)
    else:
        items = items.filter(status__in=(CallbackStatus.OPEN, CallbackStatus.ATTEMPTING))
    return items.order_by("due_at", "id")


def _locked(user, item_id: int) -> CallbackItem:
    item = visible_items(user).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound("回拨事项不存在", "no such callback item")
    return item


def take(*, user, item_id: int, at=None) -> CallbackItem:
    """The agent takes the item (回拨中); someone else's taken item is refused."""
    at = at or timezone.now()
    with transaction.atomic():
        item = _locked(user, item_id)
        if item.status in FINAL:
            raise CallbackConflict("该回拨已处理完毕", "the callback is already finished")
        if item.taken_by_id not in (None, user.pk):
            raise CallbackConflict("该回拨已由他人领取", "someone else has taken this callback")
        item.status = CallbackStatus.ATTEMPTING
        item.taken_by = user
        item.taken_at = item.taken_at or at
        item.save(update_fields=["status", "taken_by", "taken_at"])
    return item


def record_outcome(*, user, item_id: int, status: str, note: str = "", at=None) -> CallbackItem:
    """Record the callback's result: done (reached) or unreachable, with a note."""
    at = at or timezone.now()
    if status not in FINAL:
        raise InvalidInput(
            "结果只能是已回拨或无法联系", "status must be done or unreachable", field="status"
        )
    note = (note or "").strip()
    if status == CallbackStatus.UNREACHABLE and not note:
        raise InvalidInput("无法联系须说明情况", "unreachable needs a note", field="note")
    with transaction.atomic():
        item = _locked(user, item_id)
        if item.status in FINAL:
            raise CallbackConflict("该回拨已处理完毕", "the callback is already finished")
        if item.taken_by_id not in (None, user.pk):
            raise CallbackConflict("该回拨已由他人领取", "someone else has taken this callback")
        item.status = status
        item.outcome_note = note[:500]
        item.done_by = user
        item.done_at = at
        item.taken_by = item.taken_by or user
        item.save()
    return item


def count_attempt(item: CallbackItem) -> None:
    """One more dial of this item (called by dialing when a callback is dialed)."""
    CallbackItem.objects.filter(pk=item.pk).update(attempts=F("attempts") + 1)
    item.attempts += 1


OVERDUE_BATCH = 500
OVERDUE_ROLES = {Role.CALLBACK, Role.SUPERVISOR}


def warn_overdue(now=None) -> int:
    """Tell each center's callback agents and supervisors (and whoever took the item) once
    about the 回拨 items past their time limit; returns how many items were told."""
    now = now or timezone.now()
    with transaction.atomic():
        # SKIP LOCKED: two workers never tell the same item twice.
        items = list(
            CallbackItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status__in=(CallbackStatus.OPEN, CallbackStatus.ATTEMPTING),
                due_at__lte=now,
                overdue_notified_at=None,
            )
            .select_related("center")
            .order_by("due_at", "id")[:OVERDUE_BATCH]
        )
        if not items:
            return 0
        per_user: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        staff = Membership.objects.filter(
            unit_id__in={i.center_id for i in items}, role__in=OVERDUE_ROLES, is_active=True
        ).values_list("unit_id", "user_id")
        by_center = defaultdict(set)
        for unit_id, user_id in staff:
            by_center[unit_id].add(user_id)
        for item in items:
            for user_id in by_center[item.center_id] | ({item.taken_by_id} - {None}):
                per_user[user_id][item.center_id].append(item)
        notify.send_batch({uid: _overdue_message(c) for uid, c in per_user.items()}, now=now)
        CallbackItem.objects.filter(pk__in=[i.pk for i in items]).update(overdue_notified_at=now)
    return len(items)


def _overdue_message(per_center: dict[int, list]) -> tuple[str, str, str]:
    n = sum(len(v) for v in per_center.values())
    lines = []
    for items in per_center.values():
        first = min(i.due_at for i in items)
        lines.append(
            f"{items[0].center.name}：{len(items)} 件，最早时限 {to_local(first):%m-%d %H:%M}"
        )
    return f"回拨超时 {n} 件", "；".join(lines), "/calls/callbacks/"
