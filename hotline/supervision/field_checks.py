"""暗访 (field checks): supervisors call a unit as a citizen would (电话暗访) or visit its window
(实地暗访), record what they found with photos, and may open a 督办 item or propose to name the
unit for accountability (问责建议; the evaluation app's accountability list counts them).

Scope: a supervisor records and sees the checks of the units of their region and the regions
below; outside it a check or a unit does not exist (404).
"""

import hashlib
import re
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import Role, Unit
from hotline.tickets.guards import text
from hotline.tickets.lifecycle.attachments import checked
from hotline.tickets.models import Ticket

from . import services
from .models import CheckKind, CheckPhoto, FieldCheck, SupervisionItem

PHONE = re.compile(r"^[0-9+\-() ]{3,32}$")
MAX_RING_SECONDS = 600
MAX_PHOTOS = 20
# A check is recorded after it happened; a clock a little ahead is not an error.
CLOCK_SKEW = timedelta(minutes=5)


def _regions(user) -> list[str]:
    return [m.unit.region.path for m in scope.memberships(user) if m.role == Role.SUPERVISOR]


def is_supervisor(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or _regions(user))


def checked_units(user):
    """Units the user may check: those of the regions where they are a supervisor."""
    qs = Unit.objects.filter(is_active=True)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    condition = Q(pk__in=[])
    for path in _regions(user):
        condition |= Q(region__path__startswith=path)
    return qs.filter(condition)


def visible_checks(user):
    return (
        FieldCheck.objects.filter(unit__in=checked_units(user).values("pk"))
        .select_related("unit", "ticket", "item", "opened_item", "recorded_by")
        .order_by("-checked_at", "-id")
    )


def get_check(user, check_id: int) -> FieldCheck:
    check = visible_checks(user).filter(pk=check_id).first()
    if check is None:
        raise NotFound("暗访记录不存在", "no such field check", field="check_id")
    return check


def _require_supervisor(user) -> None:
    if not is_supervisor(user):
        raise Forbidden("只有效能督查人员可以记录暗访", "only a supervisor may record field checks")


def _number(value, field: str, label: str, low: int, high: int, *, required: bool):
    if value in (None, ""):
        if required:
            raise InvalidInput(f"请填写{label}", f"{field} is required", field=field)
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{label}须为整数", f"{field} must be a whole number",
                           field=field) from None  # fmt: skip
    if not low <= n <= high:
        raise InvalidInput(f"{label}须在 {low}–{high} 之间", f"{field} must be {low}..{high}",
                           field=field)  # fmt: skip
    return n


def _target(user, unit, ticket, item):
    """The (unit, ticket, item) a check is about, each in the user's scope and consistent."""
    if item is not None:
        if not services.visible_items(user).filter(pk=item.pk).exists():
            raise NotFound("督办事项不存在", "no such supervision item", field="item")
        if ticket is not None and ticket.pk != item.ticket_id:
            raise InvalidInput("工单与督办事项不一致", "ticket is not the item's ticket",
                               field="ticket")  # fmt: skip
        ticket = item.ticket
        unit = unit or item.target_unit
    if ticket is not None:
        if not scope.is_visible(user, ticket):
            raise NotFound("工单不存在", "no such ticket", field="ticket")
        unit = unit or ticket.lead_unit
    if unit is None:
        raise InvalidInput("请指定被暗访单位、工单或督办事项",
                           "give the unit, a ticket or a supervision item", field="unit")  # fmt: skip
    if not checked_units(user).filter(pk=unit.pk).exists():
        raise NotFound("单位不存在或不在辖区内", "no such unit in your region", field="unit")
    return unit, ticket, item


def record(*, by, kind: str, checked_at, findings: str, unit: Unit | None = None,
           ticket: Ticket | None = None, item: SupervisionItem | None = None,
           phone_number: str = "", answered_by: str = "", ring_seconds=None, place: str = "",
           score=None, now=None) -> FieldCheck:  # fmt: skip
    """Record one 暗访; a phone check needs the number called, how long it rang and a score,
    a field visit the place."""
    now = now or timezone.now()
    _require_supervisor(by)
    if kind not in CheckKind.values:
        raise InvalidInput("暗访方式须为 phone 或 field", "kind must be phone or field",
                           field="kind")  # fmt: skip
    unit, ticket, item = _target(by, unit, ticket, item)
    if checked_at is None:
        raise InvalidInput("请填写暗访时间", "checked_at is required", field="checked_at")
    if checked_at > now + CLOCK_SKEW:
        raise InvalidInput("暗访时间不能晚于当前时间", "checked_at is in the future",
                           field="checked_at")  # fmt: skip
    findings = text(findings, "findings", "发现问题", min_len=4, max_len=4000)
    answered_by = text(answered_by, "answered_by", "接听人", min_len=0, max_len=64)
    phone = kind == CheckKind.PHONE
    phone_number = (phone_number or "").strip()
    if phone and not PHONE.match(phone_number):
        raise InvalidInput("请填写正确的拨打号码", "phone_number must be a phone number",
                           field="phone_number")  # fmt: skip
    ring = _number(ring_seconds, "ring_seconds", "响铃时长", 0, MAX_RING_SECONDS, required=phone)
    score = _number(score, "score", "评分", 0, 100, required=phone)
    place = text(place, "place", "暗访地点", min_len=0 if phone else 2, max_len=200)
    return FieldCheck.objects.create(
        kind=kind, unit=unit, ticket=ticket, item=item, checked_at=checked_at,
        phone_number=phone_number if phone else "", answered_by=answered_by,
        ring_seconds=ring, place=place, findings=findings, score=score,
        recorded_by=by, recorded_at=now,
    )  # fmt: skip


def add_photo(*, check: FieldCheck, by, upload, now=None) -> CheckPhoto:
    """Keep a photo (or a document) with the check: the ticket attachments' checks of type by
    content and size apply."""
    _require_supervisor(by)
    name, data, content_type = checked(upload)
    with transaction.atomic():
        check = FieldCheck.objects.select_for_update().get(pk=check.pk)
        if check.photos.count() >= MAX_PHOTOS:
            raise InvalidInput(f"每条暗访记录最多 {MAX_PHOTOS} 个附件",
                               f"at most {MAX_PHOTOS} files per check", field="file")  # fmt: skip
        photo = CheckPhoto(
            field_check=check, name=name, size=len(data), content_type=content_type,
            sha256=hashlib.sha256(data).hexdigest(), uploaded_by=by,
            created_at=now or timezone.now(),
        )  # fmt: skip
        photo.file.save(name, ContentFile(data), save=False)
        try:
            photo.save()
        except BaseException:
            photo.file.delete(save=False)  # nothing of a refused upload stays on disk
            raise
    return photo


def open_supervision(*, check: FieldCheck, by, reason: str, deadline=None) -> SupervisionItem:
    """The finding opens a 督办 item on the check's ticket, aimed at the checked unit."""
    reason = text(reason, "reason", "督办事由", min_len=2, max_len=900)
    if check.ticket_id is None:
        raise InvalidInput(
            "该暗访未关联工单，不能发起督办；可提出问责建议",
            "the check has no ticket to supervise; propose accountability instead",
            field="ticket",
        )
    with transaction.atomic():
        check = FieldCheck.objects.select_for_update().get(pk=check.pk)
        if check.opened_item_id is not None:
            raise IllegalTransition("该暗访已发起督办", "this check already opened an item",
                                    field="opened_item")  # fmt: skip
        item = services.open_item(
            ticket=check.ticket, by=by, reason=f"{check.get_kind_display()}发现：{reason}",
            target_unit=check.unit, deadline=deadline,
        )  # fmt: skip
        check.opened_item = item
        check.save(update_fields=["opened_item"])
    return item


def propose_accountability(*, check: FieldCheck, by, reason: str, now=None) -> FieldCheck:
    """Propose to name the unit (问责建议): the accountability list of the period counts it."""
    _require_supervisor(by)
    reason = text(reason, "reason", "问责建议", min_len=4, max_len=2000)
    with transaction.atomic():
        check = FieldCheck.objects.select_for_update().get(pk=check.pk)
        if check.proposed_at is not None:
            raise IllegalTransition("该暗访已提出问责建议", "accountability already proposed",
                                    field="proposal")  # fmt: skip
        check.proposal, check.proposed_by, check.proposed_at = reason, by, now or timezone.now()
        check.save(update_fields=["proposal", "proposed_by", "proposed_at"])
    return check
