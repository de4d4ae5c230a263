"""What screening shows: the risk board, duplicates and repeats of a ticket, hand-overs.

Every list starts from `scope.visible_tickets` (rule 2); a ticket outside it is never named.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from hotline.crypto import phone_q
from hotline.errors import Forbidden
from hotline.orgs import scope
from hotline.orgs.models import Role
from hotline.tickets.guards import text
from hotline.tickets.models import OPEN_STATUSES

from . import duplicates, services
from .models import (
    AlertKind,
    DuplicateSignature,
    Level,
    PoliceHandover,
    RepeatCase,
    RepeatHit,
)

STALL_HOURS = getattr(settings, "HOTLINE_RISK_STALL_HOURS", 24)
BOARD_LEVELS = (Level.RED, Level.ORANGE)
NUMBERS = 20  # ticket numbers listed per repeat case
HANDOVER_ROLES = {Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN}


def risk_board(user, *, now=None, limit: int = 200) -> list[dict]:
    """Open red and orange tickets in the user's scope, red first; a ticket whose last change
    is older than STALL_HOURS is marked stalled."""
    now = now or timezone.now()
    qs = (
        scope.visible_tickets(user)
        .filter(status__in=OPEN_STATUSES, risk__level__in=BOARD_LEVELS)
        .select_related("risk", "center", "lead_unit")
        .order_by("-risk__level", "created_at")  # "red" sorts after "orange": descending
    )
    rows = []
    for t in qs[:limit]:
        rows.append(
            {
                "number": t.number,
                "title": t.title,
                "status": t.status,
                "urgency": t.urgency,
                "level": t.risk.level,
                "flags": t.risk.flags,
                "hits": [h["term"] for h in t.risk.hits],
                "center": t.center.name,
                "lead_unit": t.lead_unit.name if t.lead_unit_id else None,
                "created_at": t.created_at,
                "updated_at": t.updated_at,
                "stalled": now - t.updated_at > timedelta(hours=STALL_HOURS),
                "handed_over": t.police_handovers.exists(),
            }
        )
    rows.sort(key=lambda r: (r["level"] != Level.RED, r["created_at"]))
    return rows


def raise_stalled(*, now=None) -> int:
    """Alert the supervisors of each open red/orange ticket that stalled (once per ticket);
    for the supervision sweeps to call. Returns how many alerts were raised."""
    from hotline.tickets.models import Ticket

    now = now or timezone.now()
    stalled = Ticket.objects.filter(
        status__in=OPEN_STATUSES,
        risk__level__in=BOARD_LEVELS,
        updated_at__lt=now - timedelta(hours=STALL_HOURS),
    ).exclude(risk_alerts__kind=AlertKind.STALLED)
    n = 0
    for t in stalled.select_related("center"):
        services._alert(t, AlertKind.STALLED, t.center, Role.SUPERVISOR,
                        f"风险工单{t.number}已超过{STALL_HOURS}小时无进展，请督办")  # fmt: skip
        n += 1
    return n


def similar_tickets(user, ticket, *, days: int | None = None) -> dict:
    """The same caller's earlier tickets and near-duplicates from anyone, within the window
    and the city, that the user may see; with the estimated similarity."""
    visible = scope.visible_tickets(user)
    days = days or services.DUPLICATE_WINDOW_DAYS
    caller = []
    if ticket.citizen_phone:
        caller = list(
            visible.filter(phone_q(ticket.citizen_phone), created_at__lt=ticket.created_at)
            .exclude(pk=ticket.pk)
            .order_by("-created_at")[:20]
        )
    found = []
    row = DuplicateSignature.objects.filter(ticket=ticket).first()
    if row is not None:
        sig = duplicates.Signature.unpack(row.signature)
        keys = duplicates.band_keys(sig, row.scope)
        since = ticket.created_at - timedelta(days=days)
        similar = dict(services.find_similar(sig, keys, since=since, exclude=ticket.pk))
        tickets = visible.filter(pk__in=similar).only("number", "title", "status", "created_at")
        found = sorted(
            ({"ticket": t, "similarity": similar[t.pk]} for t in tickets),
            key=lambda x: (-x["similarity"], x["ticket"].created_at),
        )
    return {
        "same_caller": [_brief(t) for t in caller],
        "near_duplicates": [_brief(x["ticket"]) | {"similarity": x["similarity"]} for x in found],
    }


def _brief(t) -> dict:
    return {"number": t.number, "title": t.title, "status": t.status, "created_at": t.created_at}


def repeat_list(user, *, open_only: bool = True, limit: int = 200) -> list[dict]:
    """反复投诉未解决 cases whose first ticket the user may see, latest repeat first: the
    count, the first and latest time and the first NUMBERS ticket numbers of each."""
    qs = RepeatCase.objects.filter(first_ticket__in=scope.visible_tickets(user).values("id"))
    if open_only:
        qs = qs.filter(is_open=True)
    cases = list(
        qs.select_related("first_ticket")
        .annotate(count=Count("hits"), last_at=Max("hits__created_at"))
        .order_by("-last_at")[:limit]
    )
    numbers: dict[int, list[str]] = {}
    hits = RepeatHit.objects.filter(case__in=cases).order_by("created_at", "id")
    for case_id, number in hits.values_list("case_id", "ticket__number"):
        listed = numbers.setdefault(case_id, [])
        if len(listed) < NUMBERS:
            listed.append(number)
    return [
        {
            "first_ticket": c.first_ticket.number,
            "title": c.first_ticket.title,
            "tickets": numbers.get(c.pk, []),
            "count": c.count,
            "first_at": c.first_at,
            "last_at": c.last_at,
        }
        for c in cases
    ]


def hand_over(*, ticket, by, police_unit: str, contact: str, summary: str) -> PoliceHandover:
    """Record that the ticket's risk was handed to public security (移交公安): who, when, what.
    The ticket itself does not change, so this is no lifecycle transition."""
    m = scope.center_membership(by, ticket.center, HANDOVER_ROLES)
    if m is None:
        raise Forbidden("只有责任中心的话务员、派单员或效能督查可以移交公安",
                        "only an agent, dispatcher or supervisor of the center may hand over")  # fmt: skip
    return PoliceHandover.objects.create(
        ticket=ticket,
        police_unit=text(police_unit, "police_unit", "接收公安机关", min_len=2, max_len=100),
        contact=text(contact, "contact", "接收人及联系方式", min_len=2, max_len=100),
        summary=text(summary, "summary", "移交内容", min_len=5, max_len=2000),
        handed_by=by,
        handed_unit=m.unit,
        handed_at=timezone.now(),
    )
