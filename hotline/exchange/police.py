"""12345 ↔ 110 linkage: hand-overs to a police partner and its reports, 非警务警情 from it.

A police partner is a ConnectedSystem of kind `police`: the same credentials, signatures,
outbox and webhook delivery as a sub-center, but it reads only what concerns it (`messages`,
`links_of`, `demands_of`): the hand-overs sent to it and the demands it handed in, never a
ticket's other events. Its service user holds no role anywhere, so no user path (token,
session, the pull feed as a user) shows it anything either.

Every step is one `lifecycle.police_step` event on the ticket (hash-chained, with its outbox
row), in the transaction that records the step here. Both directions are idempotent: a
second hand-over of a ticket to the same partner while the first is open is the first one; a
report is keyed by the partner's report id; a demand by the partner's own reference.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.screening import board
from hotline.tickets import lifecycle
from hotline.tickets.models import Ticket

from .models import (
    ConnectedSystem,
    HandoverState,
    PoliceDemand,
    PoliceLink,
    PoliceLinkSetting,
    PoliceReport,
    PoliceReportKind,
    SystemKind,
)
from .services import connect_system

TOPIC_PREFIX = "ticket.police_"
MAX_SKEW = timedelta(minutes=5)
SWEEP_BATCH = 200


class Unprocessable(InvalidInput):
    """Bad input on the police API: 422 in the one error shape, nothing changed."""

    status = 422


def check_partner(*, center, service_user) -> None:
    """Refuse a police partner that would see more than was handed to it: it connects to a
    hotline center, and its service account holds no role and no staff rights (an account
    with a role would read that role's scope through the user paths)."""
    if center is None or not center.is_center:
        raise InvalidInput("公安系统须接入热线中心", "a police partner connects to a center",
                           field="unit")  # fmt: skip
    if service_user is None or (
        service_user.is_superuser or service_user.is_staff or scope.memberships(service_user)
    ):
        raise InvalidInput(
            "公安接口账号不能有任何岗位或管理权限",
            "the police service account must hold no role and no staff rights",
            field="service_user",
        )


def connect_police(*, code: str, name: str, center, service_user) -> ConnectedSystem:
    """Register a police partner at a hotline center, with a fresh secret (shown once)."""
    check_partner(center=center, service_user=service_user)
    system = connect_system(code=code, name=name, unit=center, service_user=service_user)
    ConnectedSystem.objects.filter(pk=system.pk).update(kind=SystemKind.POLICE)
    system.kind = SystemKind.POLICE
    return system


def messages(system: ConnectedSystem) -> Q:
    """The outbox rows a police partner may read: the linkage steps that name it."""
    return Q(topic__startswith=TOPIC_PREFIX, payload__data__partner=system.code)


def links_of(system: ConnectedSystem):
    return PoliceLink.objects.filter(partner=system)


def demands_of(system: ConnectedSystem):
    return PoliceDemand.objects.filter(partner=system)


def ack_minutes(center) -> int:
    """The center's acknowledgement limit, else the nearest center above it, else the default."""
    found = {
        s.center_id: s.ack_minutes
        for s in PoliceLinkSetting.objects.filter(center__in=[center.pk, *_ancestor_ids(center)])
    }
    for unit_id in [center.pk, *_ancestor_ids(center)]:
        if unit_id in found:
            return found[unit_id]
    return getattr(settings, "HOTLINE_POLICE_ACK_MINUTES", 30)


def _ancestor_ids(unit) -> list[int]:
    ids, node = [], unit
    while node.parent_id is not None:
        ids.append(node.parent_id)
        node = node.parent
    return ids


def police_partners(ticket: Ticket):
    """The active police partners a ticket may be handed to: those connected at its center or
    at a center above it (a city's 110 serves its counties)."""
    centers = [ticket.center_id, *_ancestor_ids(ticket.center)]
    return ConnectedSystem.objects.filter(
        kind=SystemKind.POLICE, is_active=True, unit_id__in=centers
    ).order_by("code")


def _partner_for(ticket: Ticket, code: str) -> ConnectedSystem:
    partner = police_partners(ticket).filter(code=code).first()
    if partner is None:
        raise Unprocessable("该工单的中心没有接入这个公安系统",
                            "no such police partner serves this ticket's center", field="partner")  # fmt: skip
    return partner


def _open_link(ticket: Ticket, partner: ConnectedSystem) -> PoliceLink | None:
    return (
        PoliceLink.objects.filter(ticket=ticket, partner=partner)
        .exclude(state=HandoverState.CONCLUDED)
        .first()
    )


def hand_over(
    *, ticket: Ticket, by, partner: str, contact: str = "", summary: str, now=None
) -> tuple[PoliceLink, bool]:
    """Hand the ticket to a police partner through the exchange; returns (link, created).

    The screening record (who, when, what), the link with its acknowledgement limit and the
    `police_handover` event (whose outbox row is the webhook to the police) commit together.
    An open hand-over of the ticket to the same partner is returned as it is."""
    # The role first: an open hand-over is answered only to whom may make one.
    if scope.center_membership(by, ticket.center, board.HANDOVER_ROLES) is None:
        raise Forbidden("只有责任中心的话务员、派单员或效能督查可以移交公安",
                        "only an agent, dispatcher or supervisor of the center may hand over")  # fmt: skip
    target = _partner_for(ticket, partner)
    found = _open_link(ticket, target)
    if found is not None:
        return found, False
    now = now or timezone.now()
    try:
        with transaction.atomic():
            record = board.hand_over(
                ticket=ticket,
                by=by,
                police_unit=target.name,
                contact=contact or target.name,
                summary=summary,
            )
            record.handed_at = now
            record.save(update_fields=["handed_at"])
            due = now + timedelta(minutes=ack_minutes(ticket.center))
            link = PoliceLink.objects.create(
                handover=record,
                partner=target,
                ticket=ticket,
                reference=f"YJ{record.pk:010d}",
                handed_at=now,
                ack_due_at=due,
            )
            lifecycle.police_step(
                ticket=ticket,
                action="police_handover",
                by=by,
                unit=record.handed_unit,
                data={
                    "partner": target.code,
                    "reference": link.reference,
                    "note": record.summary,
                    "contact": record.contact,
                    "ack_due_at": due.isoformat(),
                },
            )
    except IntegrityError:
        # Two clicks raced past the lookup: the unique open link decided, the other is it.
        found = _open_link(ticket, target)
        if found is None:
            raise
        return found, False
    return link, True


def link_for(system: ConnectedSystem, reference: str) -> PoliceLink:
    """A hand-over of this partner; any other reference does not exist for it (404)."""
    link = links_of(system).select_related("ticket", "handover").filter(reference=reference)
    found = link.first()
    if found is None:
        raise NotFound("移交记录不存在", "no such hand-over", field="reference")
    return found


def check_at(at, not_before, field="at"):
    if at.tzinfo is None:
        raise Unprocessable("时间须带时区", "time must carry a time zone", field=field)
    now = timezone.now()
    if at > now + MAX_SKEW:
        raise Unprocessable("时间晚于当前时间", "time is in the future", field=field)
    if not_before is not None and at < not_before - MAX_SKEW:
        raise Unprocessable("时间早于移交时间", "time is before the hand-over", field=field)


# kind -> (the states it may follow, the event's action, the state it leads to)
REPORT_RULES = {
    PoliceReportKind.ACKNOWLEDGED: (
        {HandoverState.SENT},
        "police_acknowledge",
        HandoverState.ACKNOWLEDGED,
    ),
    PoliceReportKind.PROGRESS: (
        {HandoverState.ACKNOWLEDGED},
        "police_progress",
        HandoverState.ACKNOWLEDGED,
    ),
    PoliceReportKind.CONCLUDED: (
        {HandoverState.ACKNOWLEDGED},
        "police_conclude",
        HandoverState.CONCLUDED,
    ),
}


def report(
    *,
    system: ConnectedSystem,
    reference: str,
    report_id: str,
    kind: str,
    at,
    note: str = "",
    police_ref: str = "",
    officer: str = "",
) -> tuple[PoliceLink, bool]:
    """Apply a police report (acknowledged / progress / concluded) on one of its hand-overs;
    returns (link, applied). The same report id again changes nothing (applied False)."""
    link = link_for(system, reference)
    rule = REPORT_RULES.get(kind)
    if rule is None:
        raise Unprocessable("报告类型无效", "kind must be acknowledged, progress or concluded",
                            field="kind")  # fmt: skip
    allowed, action, after = rule
    note = (note or "").strip()
    if kind != PoliceReportKind.ACKNOWLEDGED and not note:
        raise Unprocessable("进展和办结须写明内容", "progress and conclusion need a note",
                            field="note")  # fmt: skip
    check_at(at, link.handed_at)
    with transaction.atomic():
        link = PoliceLink.objects.select_for_update().get(pk=link.pk)
        seen = PoliceReport.objects.filter(link=link, report_id=report_id).first()
        if seen is not None:
            if seen.kind != kind:
                raise Unprocessable("该报告编号已用于另一类报告",
                                    "this report id was used for another kind of report",
                                    field="report_id")  # fmt: skip
            return link, False
        if link.state not in allowed:
            raise IllegalTransition(
                f"移交当前为「{link.get_state_display()}」，不能报告「{PoliceReportKind(kind).label}」",
                f"the hand-over is {link.state}; a '{kind}' report is not allowed",
                field="kind",
            )
        now = timezone.now()
        PoliceReport.objects.create(
            link=link, report_id=report_id, kind=kind, at=at, note=note, received_at=now
        )
        link.state = after
        if kind == PoliceReportKind.ACKNOWLEDGED:
            link.acknowledged_at = at
            link.police_ref = police_ref or link.police_ref
            link.officer = officer or link.officer
        elif kind == PoliceReportKind.CONCLUDED:
            link.concluded_at = at
            link.outcome = note
        link.save()
        lifecycle.police_step(
            ticket=link.ticket,
            action=action,
            by=system.service_user,
            data={
                "partner": system.code,
                "reference": link.reference,
                "report_id": report_id,
                "at": at.isoformat(),
                "note": note,
                "police_ref": link.police_ref,
                "officer": link.officer,
            },
        )
    return link, True
