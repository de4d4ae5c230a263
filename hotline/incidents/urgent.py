"""应急值守与紧急信息报送: urgent reports travel up, center by center, to the province.

Raised at a center (by hand or from a ticket), a report is delivered at once to the center
above (its duty officers are notified and its pages hear it); that center must acknowledge it
within HOTLINE_URGENT_ACK_SECONDS, and then it travels on up. Not acknowledged in time, the
worker's sweep (supervision.schedule) escalates it straight to the province. On arrival at a
center, a report on the same matter already there absorbs it (merged), so the province sees
one list. Every step is a ReportStep.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Role, Unit
from hotline.realtime import publish
from hotline.supervision import notify
from hotline.text import compact

from . import access
from .models import DutyShift, ReportState, ReportStep, UrgentReport

STAFF_ROLES = CENTER_ROLES | READONLY_ROLES
MERGE_WINDOW = dt.timedelta(hours=24)


def ack_seconds() -> int:
    return int(getattr(settings, "HOTLINE_URGENT_ACK_SECONDS", 300))


def center_above(center: Unit) -> Unit | None:
    unit = center.parent
    while unit is not None and not unit.is_center:
        unit = unit.parent
    return unit


def province_center(center: Unit) -> Unit:
    unit = center
    while (above := center_above(unit)) is not None:
        unit = above
    return unit


def on_duty(center: Unit, now) -> list[int]:
    """The duty officers of `center` now; its administrators when nobody is rostered."""
    ids = list(
        DutyShift.objects.filter(center=center, starts_at__lte=now, ends_at__gt=now).values_list(
            "user_id", flat=True
        )
    )
    if ids:
        return ids
    return list(
        center.memberships.filter(role=Role.ADMIN, is_active=True).values_list("user_id", flat=True)
    )


def _step(report, action, center, user=None, note="", at=None):
    ReportStep.objects.create(
        report=report, action=action, center=center, user=user, note=note[:500], at=at
    )


def _deliver(report: UrgentReport, center: Unit, now, action: str, user=None) -> None:
    """Put the report at `center`: merged into a report on the same matter there, or waiting
    for its acknowledgement, its duty officers told."""
    same = (
        UrgentReport.objects.filter(
            at_center=center, key=report.key, raised_at__gte=now - MERGE_WINDOW
        )
        .exclude(state=ReportState.MERGED)
        .exclude(pk=report.pk)
        .order_by("pk")
        .first()
    )
    report.at_center = center
    if same is not None:
        report.state, report.merged_into, report.due_at = ReportState.MERGED, same, None
        report.save()
        _step(report, action, center, user, at=now)
        _step(report, "merge", center, note=f"并入紧急信息 #{same.pk}", at=now)
        _step(same, "absorb", center, note=f"合并 #{report.pk}（{report.place}）", at=now)
        if report.people > same.people:
            same.people = report.people
            same.save(update_fields=["people"])
        return
    report.state = ReportState.WAITING
    report.due_at = now + dt.timedelta(seconds=ack_seconds())
    report.save()
    _step(report, action, center, user, at=now)
    title = f"紧急信息：{report.what}"
    body = f"{report.place}，涉及{report.people}人。{report.risk}"
    link = f"/incidents/reports/{report.pk}/"
    notify.send_batch({uid: (title, body, link) for uid in on_duty(center, now)}, now=now)
    publish(f"center:{center.pk}", {"kind": "urgent_report", "report_id": report.pk})


def _origin(user) -> Unit:
    for m in scope.memberships(user):
        if m.unit.is_center and m.role in STAFF_ROLES:
            return m.unit
    raise Forbidden("只有热线中心人员可以报送紧急信息", "only center staff raise urgent reports")


def raise_report(
    *, by, what: str, place: str, people: int = 0, risk: str = "", ticket=None, incident=None
) -> UrgentReport:
    """Raise an urgent report; it reaches the duty officer of the center above at once."""
    what, place, risk = (what or "").strip(), (place or "").strip(), (risk or "").strip()
    if not 2 <= len(what) <= 200:
        raise InvalidInput("请填写事件（2–200 字）", "what must be 2..200 chars", field="what")
    if not 2 <= len(place) <= 200:
        raise InvalidInput("请填写地点（2–200 字）", "place must be 2..200 chars", field="place")
    if not isinstance(people, int) or people < 0 or people > 10_000_000:
        raise InvalidInput("涉及人数须为非负整数", "people must be >= 0", field="people")
    if ticket is not None and not scope.is_visible(by, ticket):
        raise NotFound("工单不存在", "no such ticket", field="ticket")
    origin = _origin(by)
    now = timezone.now()
    key = f"incident:{incident.pk}" if incident is not None else compact(what)[:200]
    with transaction.atomic():
        report = UrgentReport(
            what=what,
            place=place,
            people=people,
            risk=risk[:500],
            incident=incident,
            ticket=ticket,
            origin=origin,
            raised_by=by,
            raised_at=now,
            at_center=origin,
            state=ReportState.WAITING,
            key=key,
        )
        report.save()
        _step(report, "raise", origin, by, at=now)
        _deliver(report, center_above(origin) or origin, now, "deliver")
    return report


def _staff_at(user, center: Unit) -> bool:
    if user.is_superuser:
        return True
    return (
        any(m.unit_id == center.pk and m.role in STAFF_ROLES for m in scope.memberships(user))
        or DutyShift.objects.filter(center=center, user=user).exists()
    )


def acknowledge(*, by, report: UrgentReport, note: str = "") -> UrgentReport:
    """The center where the report waits acknowledges it; below the province it travels on."""
    with transaction.atomic():
        r = UrgentReport.objects.select_for_update().select_related("at_center").get(pk=report.pk)
        if not visible(by).filter(pk=r.pk).exists():
            raise NotFound("紧急信息不存在", "no such report")
        if r.state != ReportState.WAITING:
            raise IllegalTransition("该紧急信息不在待签收状态", "not waiting", field="state")
        if not _staff_at(by, r.at_center):
            raise Forbidden("只有所在中心的值班人员可以签收", "only the center's staff acknowledge")
        now = timezone.now()
        _step(r, "acknowledge", r.at_center, by, note=note, at=now)
        above = center_above(r.at_center)
        if above is None:
            r.state, r.due_at = ReportState.ACKNOWLEDGED, None
            r.save(update_fields=["state", "due_at"])
        else:
            _deliver(r, above, now, "forward", by)
    return r


def escalate_overdue(now=None) -> int:
    """The sweep: reports not acknowledged in time go straight to the province."""
    now = now or timezone.now()
    moved = 0
    overdue = UrgentReport.objects.filter(state=ReportState.WAITING, due_at__lt=now).select_related(
        "at_center"
    )
    for r in overdue:
        if center_above(r.at_center) is None:
            continue  # at the province already: it stays on its list, overdue
        with transaction.atomic():
            locked = UrgentReport.objects.select_for_update().get(pk=r.pk)
            if locked.state != ReportState.WAITING or locked.due_at >= now:
                continue
            _step(locked, "overdue", r.at_center, note="未在时限内签收", at=now)
            _deliver(locked, province_center(r.at_center), now, "escalate")
        moved += 1
    return moved


def visible(user):
    """Reports `user` may see: raised at, waiting at or passed through one of their centers."""
    if user.is_superuser:
        return UrgentReport.objects.all()
    centers = [
        m.unit for m in scope.memberships(user) if m.unit.is_center and m.role in STAFF_ROLES
    ]
    centers += list(
        Unit.objects.filter(pk__in=DutyShift.objects.filter(user=user).values("center_id"))
    )
    ids = set()
    for c in centers:
        ids.update(Unit.objects.filter(path__startswith=c.path).values_list("pk", flat=True))
    return UrgentReport.objects.filter(
        pk__in=ReportStep.objects.filter(center_id__in=ids).values("report_id")
    )


def province_list(user):
    """The one list: reports waiting at or acknowledged by the user's top center, merged
    ones under the report that absorbed them."""
    return (
        visible(user)
        .exclude(state=ReportState.MERGED)
        .select_related("at_center", "origin")
        .prefetch_related("merged__origin")
        .order_by("-raised_at")
    )


def add_shift(*, by, center: Unit, user, starts_at, ends_at) -> DutyShift:
    """A duty shift of `center` (its managers set the roster)."""
    if not access.may_manage_center(by, center):
        raise NotFound("中心不存在", "no such center", field="center")
    if ends_at <= starts_at:
        raise InvalidInput(
            "结束时间须晚于开始时间", "ends_at must follow starts_at", field="ends_at"
        )
    if not any(m.unit_id == center.pk for m in scope.memberships(user)):
        raise InvalidInput(
            "值班人员须为本中心人员", "the officer must work at the center", field="user"
        )
    return DutyShift.objects.create(center=center, user=user, starts_at=starts_at, ends_at=ends_at)
