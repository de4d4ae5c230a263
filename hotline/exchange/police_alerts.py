"""What the center sees of its hand-overs to the police: the alert when one is not
acknowledged in time, the list of hand-overs, and the ticket page's 110 linkage card."""

from django.db import transaction
from django.utils import timezone

from hotline.orgs import scope
from hotline.orgs.models import Membership, Role
from hotline.screening import board
from hotline.supervision import notify
from hotline.tickets import lifecycle
from hotline.tickets.models import Ticket

from . import police
from .models import HandoverState, PoliceDemand, PoliceLink
from .police import SWEEP_BATCH

ALERT_ROLES = {Role.DISPATCHER, Role.SUPERVISOR}


def warn_unacknowledged(*, now=None) -> int:
    """Alert the center (its dispatchers and supervisors, and who handed over) once about each
    hand-over the police have not acknowledged in time, and note it on the ticket; for
    `hotline worker`. Returns how many hand-overs were alerted."""
    now = now or timezone.now()
    with transaction.atomic():
        links = list(
            PoliceLink.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=HandoverState.SENT, ack_due_at__lte=now, overdue_alerted_at=None)
            .select_related("ticket__center", "partner", "handover")
            .order_by("ack_due_at", "id")[:SWEEP_BATCH]
        )
        if not links:
            return 0
        staff = Membership.objects.filter(
            unit_id__in={x.ticket.center_id for x in links}, role__in=ALERT_ROLES, is_active=True
        ).values_list("unit_id", "user_id")
        per_center: dict[int, set[int]] = {}
        for unit_id, user_id in staff:
            per_center.setdefault(unit_id, set()).add(user_id)
        per_user: dict[int, list[PoliceLink]] = {}
        for link in links:
            for uid in per_center.get(link.ticket.center_id, set()) | {link.handover.handed_by_id}:
                per_user.setdefault(uid, []).append(link)
            lifecycle.police_step(
                ticket=link.ticket,
                action="police_ack_overdue",
                data={"partner": link.partner.code, "reference": link.reference,
                      "ack_due_at": link.ack_due_at.isoformat(),
                      "note": f"{link.partner.name}未在时限内签收移交"},
            )  # fmt: skip
        notify.send_batch({uid: _overdue_message(items) for uid, items in per_user.items()},
                          now=now)  # fmt: skip
        PoliceLink.objects.filter(pk__in=[x.pk for x in links]).update(overdue_alerted_at=now)
    return len(links)


def _overdue_message(links: list[PoliceLink]) -> tuple[str, str, str]:
    numbers = "、".join(x.ticket.number for x in links[:10])
    title = f"移交公安超时未签收 {len(links)} 件"
    body = f"以下工单移交公安后超过签收时限仍未签收，请电话催办：{numbers}"
    return title, body, "/exchange/police/"


def board_rows(user, *, overdue_only: bool = False, now=None, limit: int = 200) -> list[dict]:
    """The hand-overs of tickets the user may see (rule 2), overdue acknowledgements first."""
    now = now or timezone.now()
    qs = PoliceLink.objects.filter(ticket__in=scope.visible_tickets(user)).select_related(
        "ticket", "partner", "handover__handed_by"
    )
    if overdue_only:
        qs = qs.filter(state=HandoverState.SENT, ack_due_at__lte=now)
    rows = []
    for x in qs.order_by("-handed_at")[:limit]:
        overdue = x.state == HandoverState.SENT and x.ack_due_at <= now
        rows.append({"link": x, "overdue": overdue})
    rows.sort(key=lambda r: (not r["overdue"], -r["link"].handed_at.timestamp()))
    return rows


def ticket_linkage(ticket: Ticket, user, *, now=None) -> dict:
    """The ticket page's 110 linkage card: its hand-overs with their reports, the police
    demand it came from, and the partners the user may hand it to (the center's agents,
    dispatchers and supervisors). The caller has checked that the user may see the ticket."""
    now = now or timezone.now()
    may = scope.center_membership(user, ticket.center, board.HANDOVER_ROLES) is not None
    links = list(
        PoliceLink.objects.filter(ticket=ticket)
        .select_related("partner", "handover__handed_by")
        .prefetch_related("reports")
        .order_by("id")
    )
    demand = PoliceDemand.objects.filter(ticket=ticket).select_related("partner").first()
    return {
        "links": [
            {
                "link": x,
                "reports": list(x.reports.all()),
                "overdue": x.state == HandoverState.SENT and x.ack_due_at <= now,
            }
            for x in links
        ],
        "demand": demand,
        "partners": list(police.police_partners(ticket)) if may else [],
    }
