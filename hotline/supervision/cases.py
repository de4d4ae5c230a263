"""Where 典型曝光 cases come from: review send-backs (审核退回), spot-check faults (质量抽查差错)
and 暗访 findings. Each candidate carries what the bulletin prints: the unit, what it replied
or did, a first reason why it is wrong, the handler and the responsible leader. Candidates are
read in the user's scope; a chosen case is looked up again here, never taken from the client."""

from dataclasses import dataclass

from django.db.models import Q

from hotline.orgs import scope
from hotline.orgs.models import Membership, Role, Unit
from hotline.quality.models import ScoreLine
from hotline.tickets.models import Ticket, TicketEvent

from . import field_checks
from .models import CaseSource

LIMIT = 50
NO_LEADER = "（未设分管领导）"


@dataclass
class Candidate:
    source: str
    ref: int
    unit: Unit
    ticket: Ticket | None
    reply: str
    why_wrong: str
    handler: str
    leader: str
    at: object  # when it happened

    @property
    def source_label(self) -> str:
        return CaseSource(self.source).label


def person(user) -> str:
    return (user.full_name or user.username) if user is not None else "—"


def leaders(unit: Unit) -> str:
    """The unit's leaders (分管领导) by name; the one responsible for what its people did."""
    rows = Membership.objects.filter(unit=unit, role=Role.LEADER, is_active=True).select_related(
        "user"
    )
    return "、".join(sorted(person(m.user) for m in rows)) or NO_LEADER


def _sendbacks(user, since, ref=None):
    qs = TicketEvent.objects.filter(
        action="reject_reply", ticket__in=scope.visible_tickets(user).values("pk"),
        ticket__lead_unit__in=field_checks.checked_units(user).values("pk"),
    ).select_related("ticket", "ticket__lead_unit")  # fmt: skip
    qs = qs.filter(pk=ref) if ref is not None else qs.filter(created_at__gte=since)
    for e in qs.order_by("-created_at")[:LIMIT]:
        reply = (
            TicketEvent.objects.filter(ticket_id=e.ticket_id, action="reply", seq__lt=e.seq)
            .select_related("actor", "actor_unit")
            .order_by("-seq")
            .first()
        )
        unit = (reply.actor_unit if reply else None) or e.ticket.lead_unit
        yield Candidate(
            CaseSource.SENDBACK, e.pk, unit, e.ticket,
            (reply.data.get("body") if reply else "") or e.ticket.reply or "（无答复内容）",
            f"审核退回：{e.data.get('reason', '')}", person(reply.actor if reply else None),
            leaders(unit), e.created_at,
        )  # fmt: skip


def _faults(user, since, ref=None):
    centers = field_checks.checked_units(user).filter(kind__in=["center", "subcenter"])
    qs = ScoreLine.objects.filter(
        fault=True, score__item__sample__center__in=centers.values("pk")
    ).select_related(
        "line", "score", "score__item__ticket", "score__item__agent", "score__item__sample__center"
    )
    qs = qs.filter(pk=ref) if ref is not None else qs.filter(score__created_at__gte=since)
    for line in qs.order_by("-score__created_at")[:LIMIT]:
        item = line.score.item
        center = item.sample.center
        yield Candidate(
            CaseSource.QUALITY, line.pk, center, item.ticket,
            f"{line.line.label}：{line.note or '（质检员未注明）'}",
            f"质量抽查差错：{line.score.comment or line.line.label}", person(item.agent),
            leaders(center), line.score.created_at,
        )  # fmt: skip


def _findings(user, since, ref=None):
    qs = field_checks.visible_checks(user)
    qs = qs.filter(pk=ref) if ref is not None else qs.filter(checked_at__gte=since)
    for c in qs[:LIMIT]:
        if c.kind == "phone":
            did = (f"拨打{c.phone_number}，响铃{c.ring_seconds}秒，"
                   f"{'接听人：' + c.answered_by if c.answered_by else '无人接听'}")  # fmt: skip
        else:
            did = f"实地暗访{c.place}"
        yield Candidate(
            CaseSource.FIELD, c.pk, c.unit, c.ticket, f"{did}。{c.findings}",
            f"{c.get_kind_display()}发现：{c.findings}", c.answered_by or "—", leaders(c.unit),
            c.checked_at,
        )  # fmt: skip


SOURCES = {CaseSource.SENDBACK: _sendbacks, CaseSource.QUALITY: _faults,
           CaseSource.FIELD: _findings}  # fmt: skip


def candidates(user, since) -> dict[str, list[Candidate]]:
    """The latest LIMIT of each source since `since`, in the user's scope."""
    return {source: list(fn(user, since)) for source, fn in SOURCES.items()}


def find(user, source: str, ref: int) -> Candidate | None:
    fn = SOURCES.get(source)
    return next(iter(fn(user, None, ref)), None) if fn else None


def within(center: Unit):
    """Units a bulletin of `center` may name: those of its region and below."""
    return Unit.objects.filter(Q(region__path__startswith=center.region.path))
