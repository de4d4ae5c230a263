"""The supervision ledger (督办台账): open, answer, clear (销号), escalate; and the auto rules.

Opening an item marks the ticket through `lifecycle.supervise`, the only way a ticket changes.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hotline.catalog.calendar import add_limit, working_days_between
from hotline.catalog.models import LimitUnit
from hotline.errors import Forbidden, HotlineError, IllegalTransition, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs import services as orgs_services
from hotline.orgs.models import Membership, Role, Unit
from hotline.tickets import lifecycle
from hotline.tickets.deadlines import HANDLING
from hotline.tickets.guards import text
from hotline.tickets.models import OPEN_STATUSES, Status, Ticket

from . import notify
from .models import HAND_SOURCES, ItemLevel, ItemSource, ItemState, SupervisionItem

# Rules: overdue by this many working days; reopened this often; red risk untouched this long.
OVERDUE_WORKING_DAYS = 3
REOPEN_TIMES = 2
RED_RISK_STALL = timedelta(hours=2)
# The unit answers within this many working days unless the supervisor sets a deadline.
ANSWER_WORKING_DAYS = 3
UNIT_ROLES = {Role.HANDLER, Role.LEADER}
log = logging.getLogger("hotline.supervision")


def _supervisor(user, ticket: Ticket) -> Membership:
    m = scope.region_membership(user, ticket.region or ticket.center.region, {Role.SUPERVISOR})
    if m is None:
        raise Forbidden(
            "只有辖区效能督查人员可以督办", "only a supervisor of the region may do this",
            field=None,
        )  # fmt: skip
    return m


def visible_items(user):
    """Ledger items the user may see: those whose ticket is in scope (rule 2)."""
    return SupervisionItem.objects.filter(
        ticket__in=scope.visible_tickets(user).values("pk")
    ).select_related("ticket", "target_unit")


def get_item(user, item_id: int) -> SupervisionItem:
    item = visible_items(user).filter(pk=item_id).first()
    if item is None:
        raise NotFound("督办事项不存在", "no such supervision item", field="item_id")
    return item


def _notify_unit(item: SupervisionItem, title: str):
    users = Membership.objects.filter(
        unit=item.target_unit, role__in=UNIT_ROLES, is_active=True
    ).values_list("user_id", flat=True)
    body = f"工单{item.ticket.number}：{item.reason}"
    notify.send_batch({uid: (title, body, f"/t/{item.ticket.number}/") for uid in set(users)})


def open_item(*, ticket: Ticket, by, reason: str, level: str = ItemLevel.CENTER,
              target_unit: Unit | None = None, deadline=None, now=None,
              source: str = ItemSource.MANUAL) -> SupervisionItem:  # fmt: skip
    """A supervisor opens a ledger item and marks the ticket supervised; `source` instruction
    records a leader's instruction (领导批示督办), opened at once whatever the ticket's timing."""
    now = now or timezone.now()
    if not scope.is_visible(by, ticket):
        raise NotFound("工单不存在", "no such ticket", field="ticket")
    _supervisor(by, ticket)
    reason = text(reason, "reason", "督办事由", min_len=2, max_len=1000)
    if source not in HAND_SOURCES:
        raise InvalidInput("督办来源须为 manual 或 instruction",
                           "source must be manual or instruction", field="source")  # fmt: skip
    if source == ItemSource.INSTRUCTION and not reason.startswith("领导批示"):
        reason = f"领导批示：{reason}"
    if level not in ItemLevel.values:
        raise InvalidInput("督办级别须为 center 或 office", "level must be center or office",
                           field="level")  # fmt: skip
    target = target_unit or ticket.lead_unit
    if target is None or not target.is_active:
        raise InvalidInput("请指定督办对象单位", "target_unit is required", field="target_unit")
    if deadline is None:
        deadline = add_limit(now, ANSWER_WORKING_DAYS, LimitUnit.WORKING_DAYS)
    elif deadline <= now:
        raise InvalidInput("反馈时限须晚于当前时间", "deadline must be in the future",
                           field="deadline")  # fmt: skip
    with transaction.atomic():
        lifecycle.supervise(ticket=ticket, by=by, reason=reason, level=level)
        item = SupervisionItem.objects.create(
            ticket=ticket, target_unit=target, source=source, level=level,
            state=ItemState.OPEN, reason=reason, deadline=deadline, opened_by=by, opened_at=now,
        )  # fmt: skip
        _notify_unit(item, "督办通知：请按时反馈办理情况")
    return item


def open_for_rule(*, ticket: Ticket, reason: str, now=None) -> SupervisionItem | None:
    """Open a ledger item that another app's rule calls for (e.g. a topic's mandatory 督办),
    as the system account of the center covering the ticket (`rule_actor`); None when no
    center covers it. The reason names the rule; the item is a hand source (manual), so the
    one-per-rule constraint of the automatic sources does not apply: the caller keeps it once."""
    now = now or timezone.now()
    actor = rule_actor(ticket)
    target = ticket.lead_unit
    if actor is None or target is None:
        return None
    reason = text(reason, "reason", "督办事由", min_len=2, max_len=1000)
    with transaction.atomic():
        lifecycle.supervise(ticket=ticket, by=actor, reason=reason)
        item = SupervisionItem.objects.create(
            ticket=ticket, target_unit=target, source=ItemSource.MANUAL, level=ItemLevel.CENTER,
            state=ItemState.OPEN, reason=reason, opened_by=actor, opened_at=now,
            deadline=add_limit(now, ANSWER_WORKING_DAYS, LimitUnit.WORKING_DAYS),
        )  # fmt: skip
        _notify_unit(item, "督办通知：请按时反馈办理情况")
    return item


def _lock(item: SupervisionItem) -> SupervisionItem:
    return SupervisionItem.objects.select_for_update().select_related("ticket").get(pk=item.pk)


def _require(item, states, action):
    if item.state not in states:
        raise IllegalTransition(
            f"督办事项当前为「{item.get_state_display()}」，不能{action}",
            f"item is {item.state}; cannot {action}",
            field="state",
        )


def answer(*, item: SupervisionItem, by, body: str, now=None) -> SupervisionItem:
    """The target unit answers: what it did and when it will finish."""
    body = text(body, "body", "反馈内容", min_len=4, max_len=2000)
    with transaction.atomic():
        item = _lock(item)
        if scope.unit_membership(by, item.target_unit, UNIT_ROLES) is None:
            raise Forbidden("只有被督办单位可以反馈", "only the target unit may answer")
        _require(item, {ItemState.OPEN}, "反馈")
        item.state, item.answer = ItemState.ANSWERED, body
        item.answered_by, item.answered_at = by, now or timezone.now()
        item.save()
    return item


def clear(*, item: SupervisionItem, by, note: str = "", now=None) -> SupervisionItem:
    """The supervisor accepts the answer and clears the item (销号)."""
    with transaction.atomic():
        item = _lock(item)
        _supervisor(by, item.ticket)
        _require(item, {ItemState.ANSWERED}, "销号")
        item.state, item.close_note = ItemState.CLEARED, note.strip()[:1000]
        item.closed_by, item.closed_at = by, now or timezone.now()
        item.save()
    return item


def escalate(*, item: SupervisionItem, by, reason: str, now=None) -> SupervisionItem:
    """Escalate to 效能办: the item closes as escalated and a new office-level item opens."""
    now = now or timezone.now()
    reason = text(reason, "reason", "升级理由", min_len=2, max_len=1000)
    with transaction.atomic():
        item = _lock(item)
        _supervisor(by, item.ticket)
        _require(item, {ItemState.OPEN, ItemState.ANSWERED}, "升级")
        if item.level == ItemLevel.OFFICE:
            raise IllegalTransition("效能办督办已是最高级别", "office level is the top level",
                                    field="level")  # fmt: skip
        item.state, item.close_note, item.closed_by, item.closed_at = (
            ItemState.ESCALATED, reason, by, now)  # fmt: skip
        item.save()
        if item.ticket.status in OPEN_STATUSES:
            lifecycle.supervise(ticket=item.ticket, by=by, reason=reason, level=ItemLevel.OFFICE)
        new = SupervisionItem.objects.create(
            ticket=item.ticket, target_unit=item.target_unit, source=ItemSource.MANUAL,
            level=ItemLevel.OFFICE, state=ItemState.OPEN, reason=reason,
            deadline=add_limit(now, ANSWER_WORKING_DAYS, LimitUnit.WORKING_DAYS),
            opened_by=by, opened_at=now, escalated_from=item,
        )  # fmt: skip
        _notify_unit(new, "效能办督办通知：请按时反馈办理情况")
    return new


def rule_actor(ticket: Ticket):
    """Who the automatic rules act as: the system account of the nearest center (the ticket's
    own, or one above it) whose region covers the ticket (`orgs.services.system_actor`)."""
    codes = [c for c in ticket.center.path.split("/") if c]
    region = ticket.region or ticket.center.region
    centers = Unit.objects.filter(code__in=codes, is_active=True).select_related("region")
    for center in sorted(centers, key=lambda u: -len(u.path)):
        if center.is_center and center.region.covers(region):
            return orgs_services.system_actor(center)
    return None


def _rule_hits(now):
    overdue = Ticket.objects.filter(status__in=HANDLING, handle_deadline__lt=now)
    reopened = Ticket.objects.filter(status__in=OPEN_STATUSES, reopen_count__gte=REOPEN_TIMES)
    stalled = Ticket.objects.filter(
        risk_level="red",
        status__in=[Status.REGISTERED, Status.PENDING_DISPATCH, Status.DISPATCHED],
        created_at__lt=now - RED_RISK_STALL,
    )
    for source, qs in [
        (ItemSource.OVERDUE, overdue),
        (ItemSource.REOPENED, reopened),
        (ItemSource.RED_RISK, stalled),
    ]:
        for t in qs.exclude(supervision_items__source=source).select_related("center"):
            if source == ItemSource.OVERDUE and (
                working_days_between(t.handle_deadline, now) < OVERDUE_WORKING_DAYS
            ):
                continue
            yield source, t


REASONS = {
    ItemSource.OVERDUE: f"超期{OVERDUE_WORKING_DAYS}个工作日以上未办结",
    ItemSource.REOPENED: f"重办{REOPEN_TIMES}次以上",
    ItemSource.RED_RISK: "红色风险诉求未及时推进",
}


def apply_rules(*, now=None) -> int:
    """Open the automatic ledger items the rules call for; idempotent per (ticket, rule)."""
    now = now or timezone.now()
    opened = 0
    per_unit: dict[int, list[str]] = {}
    for source, t in _rule_hits(now):
        actor = rule_actor(t)
        if actor is None:  # no active center covers the ticket: nobody to act for
            log.warning("rule %s on %s not applied: no center", source, t.number)
            continue
        target = t.lead_unit or t.center
        try:
            with transaction.atomic():
                item = SupervisionItem.objects.create(
                    ticket=t, target_unit=target, source=source, level=ItemLevel.CENTER,
                    state=ItemState.OPEN, reason=REASONS[source], opened_at=now,
                    deadline=add_limit(now, ANSWER_WORKING_DAYS, LimitUnit.WORKING_DAYS),
                    opened_by=actor,
                )  # fmt: skip
                lifecycle.supervise(ticket=t, by=actor, reason=REASONS[source])
        except IntegrityError:  # another worker opened it first
            continue
        except HotlineError as exc:  # e.g. the center's system account was disabled
            log.warning("rule %s on %s not applied: %s", source, t.number, exc.message_en)
            continue
        per_unit.setdefault(item.target_unit_id, []).append(f"{t.number}：{REASONS[source]}")
        opened += 1
    _notify_rules(per_unit)
    return opened


def _notify_rules(per_unit: dict[int, list[str]]) -> None:
    """One message per person per run, however many items the rules opened (no storm)."""
    rows = Membership.objects.filter(
        unit_id__in=per_unit, role__in=UNIT_ROLES, is_active=True
    ).values_list("user_id", "unit_id")
    lines: dict[int, list[str]] = {}
    for user_id, unit_id in rows:
        lines.setdefault(user_id, []).extend(per_unit[unit_id])
    notify.send_batch({
        uid: (f"自动督办：{len(items)} 件", "\n".join(items[:50]), "/supervision/ledger/")
        for uid, items in lines.items()
    })  # fmt: skip


def state_counts(user) -> dict:
    qs = visible_items(user)
    return {s: qs.filter(state=s).count() for s in ItemState.values} | {
        "overdue": qs.filter(Q(state=ItemState.OPEN) & Q(deadline__lt=timezone.now())).count()
    }
