"""Topics and citizen marks: define a topic, tag its tickets, apply its stricter limit or
mandatory 督办; set and carry over citizen marks. The only code here that changes state.

Who: a topic belongs to a center and is defined by that center's supervisors or
administrators; it is seen by the center's staff and the centers above (read-only roles
included). Its tickets are listed only as far as the reader's ticket scope goes (rule 2).
"""

import logging

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from hotline.catalog.calendar import add_limit
from hotline.catalog.models import Category, LimitUnit
from hotline.errors import Forbidden, HotlineError, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Role, Unit
from hotline.orgs.regions import region_by_code
from hotline.supervision import services as supervision
from hotline.tickets import lifecycle
from hotline.tickets.guards import text
from hotline.tickets.lifecycle.limits import TIGHTEN_STATUSES
from hotline.tickets.models import Ticket

from . import backfill, tagging
from .models import MarkKind, MarkLimit, MarkSource, TicketMark, Topic, TopicTicket

log = logging.getLogger("hotline.topics")
DEFINE_ROLES = {Role.SUPERVISOR, Role.ADMIN}
READ_ROLES = CENTER_ROLES | READONLY_ROLES
MARK_ROLES = {Role.AGENT, Role.DISPATCHER, Role.CALLBACK, Role.ADMIN}
MAX_LIMIT_DAYS = 30


def visible_topics(user):
    """Topics of the centers where the user works (any center role or read-only role), and of
    the centers below them."""
    q = Q(pk__in=[])
    for m in scope.memberships(user):
        if m.role in READ_ROLES and m.unit.is_center:
            q |= Q(center__path__startswith=m.unit.path)
    return Topic.objects.filter(q).select_related("center__region", "created_by")


def get_topic(user, topic_id: int) -> Topic:
    topic = visible_topics(user).filter(pk=topic_id).first()
    if topic is None:
        raise NotFound("专题不存在", "no such topic", field="topic_id")
    return topic


def definable_centers(user) -> list[Unit]:
    return [m.unit for m in scope.memberships(user) if m.role in DEFINE_ROLES and m.unit.is_center]


def _days(value, field, label):
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{label}须为整数", f"{field} must be an integer", field=field) from None
    if not 1 <= days <= MAX_LIMIT_DAYS:
        raise InvalidInput(f"{label}须在1至{MAX_LIMIT_DAYS}个工作日之间",
                           f"{field} must be 1..{MAX_LIMIT_DAYS}", field=field)  # fmt: skip
    return days


def create_topic(*, center: Unit, by, name: str, keywords=(), category_codes=(), region_codes=(),
                 starts_at=None, ends_at=None, limit_days=None,
                 mandatory_supervision: bool = False) -> Topic:  # fmt: skip
    """Define a topic and queue the retroactive tagging of the tickets that exist now."""
    if scope.center_membership(by, center, DEFINE_ROLES) is None:
        raise Forbidden("只有本中心效能督查或管理员可以设立专题",
                        "only a supervisor or administrator of the center may", field=None)  # fmt: skip
    name = text(name, "name", "专题名称", min_len=2, max_len=100)
    words = [w.strip() for w in keywords if w and w.strip()]
    if any(len(w) > 30 for w in words):
        raise InvalidInput(
            "关键词不超过30字", "a keyword has at most 30 characters", field="keywords"
        )
    categories = list(Category.objects.filter(code__in=list(category_codes), is_active=True))
    if len(categories) != len(set(category_codes)):
        raise InvalidInput("诉求分类不存在", "unknown category code", field="categories")
    regions = []
    for code in region_codes:
        region = region_by_code(code)
        if region is None or not center.region.covers(region):
            raise InvalidInput(f"行政区划不在本中心辖区：{code}",
                               f"region {code} is not in the center's region", field="regions")  # fmt: skip
        regions.append(region)
    if not (words or categories or regions):
        raise InvalidInput("专题规则至少需要关键词、诉求分类或行政区划之一",
                           "a topic needs keywords, categories or regions", field="keywords")  # fmt: skip
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidInput("截止时间须晚于起始时间", "ends_at must be after starts_at",
                           field="ends_at")  # fmt: skip
    limit_days = _days(limit_days, "limit_days", "专题办理时限")
    if Topic.objects.filter(center=center, name=name).exists():
        raise InvalidInput(
            "本中心已有同名专题", "the center has a topic of this name", field="name"
        )
    with transaction.atomic():
        upto = Ticket.objects.aggregate(m=Max("pk"))["m"] or 0
        topic = Topic.objects.create(
            center=center, name=name, keywords=words, starts_at=starts_at, ends_at=ends_at,
            limit_days=limit_days, mandatory_supervision=bool(mandatory_supervision),
            created_by=by, created_at=timezone.now(), backfill_upto=upto, checked_up_to=upto,
            backfill_total=Ticket.objects.filter(pk__lte=upto).count(),
        )  # fmt: skip
        topic.categories.set(categories)
        topic.regions.set(regions)
        transaction.on_commit(lambda: _enqueue_backfill(topic.pk))
    return topic


def _enqueue_backfill(topic_id: int) -> None:
    backfill.backfill.enqueue(topic_id)


def set_active(*, topic: Topic, by, active: bool) -> Topic:
    """Pause or resume a topic (new tickets are not tagged while paused)."""
    if scope.center_membership(by, topic.center, DEFINE_ROLES) is None:
        raise Forbidden("只有本中心效能督查或管理员可以修改专题",
                        "only a supervisor or administrator of the center may", field=None)  # fmt: skip
    Topic.objects.filter(pk=topic.pk).update(is_active=bool(active))
    topic.is_active = bool(active)
    return topic


def ledger(user, topic: Topic):
    """The topic's tickets the user may see (rule 2), newest first."""
    return (
        TopicTicket.objects.filter(topic=topic, ticket__in=scope.visible_tickets(user).values("pk"))
        .select_related("ticket__lead_unit", "ticket__category")
        .order_by("-ticket_id")
    )


def topic_names(ticket: Ticket) -> list[str]:
    """The topics the ticket is tagged with; callers have checked that the reader sees it."""
    return list(
        TopicTicket.objects.filter(ticket=ticket)
        .order_by("topic_id")
        .values_list("topic__name", flat=True)
    )


def tag_ticket(ticket: Ticket) -> list[Topic]:
    """Tag one just-registered ticket with the active topics it matches (the intake's call)."""
    return tagging.tag_ticket(ticket)


def tag_new_everywhere() -> int:
    return sum(tagging.tag_new(t) for t in Topic.objects.filter(is_active=True))


# --- citizen marks -----------------------------------------------------------------------


def set_marks(*, ticket: Ticket, by, kinds) -> list[TicketMark]:
    """Mark the ticket's citizen (at registration, or later by the center's staff)."""
    if not scope.is_visible(by, ticket):
        raise NotFound("工单不存在", "no such ticket", field="ticket")
    if scope.center_membership(by, ticket.center, MARK_ROLES) is None:
        raise Forbidden("只有热线中心人员可以标注重点群体",
                        "only the ticket's center may mark its citizen", field=None)  # fmt: skip
    kinds = list(dict.fromkeys(kinds))
    bad = [k for k in kinds if k not in MarkKind.values]
    if bad:
        raise InvalidInput(f"重点群体取值无效：{bad[0]}", f"kinds must be in {MarkKind.values}",
                           field="kinds")  # fmt: skip
    now = timezone.now()
    TicketMark.objects.bulk_create(
        [TicketMark(ticket=ticket, kind=k, source=MarkSource.REGISTRATION, set_by=by, set_at=now)
         for k in kinds],
        ignore_conflicts=True,
    )  # fmt: skip
    return list(TicketMark.objects.filter(ticket=ticket).order_by("kind"))


def marks_of(ticket: Ticket) -> list[TicketMark]:
    """The ticket's marks; callers have checked that the reader sees the ticket."""
    return list(TicketMark.objects.filter(ticket=ticket).order_by("kind"))


def callback_by_phone(ticket: Ticket) -> bool:
    """A marked citizen is called back by phone, never only by SMS."""
    return TicketMark.objects.filter(ticket=ticket).exists()


def carry_over_marks(*, after: int, upto: int) -> int:
    """Marks of a citizen's earlier tickets (same phone) onto their tickets with ids in
    (after, upto]. Marked phones are few: they are looked up first, then the new tickets."""
    # By the phone's keyed hash (hotline/crypto.py): equal numbers, equal hashes.
    marked: dict[str, list[tuple[int, str]]] = {}
    for phone, tid, kind in TicketMark.objects.exclude(ticket__citizen_phone_hash="").values_list(
        "ticket__citizen_phone_hash", "ticket_id", "kind"
    ):
        marked.setdefault(phone, []).append((tid, kind))
    if not marked:
        return 0
    now = timezone.now()
    made = []
    new = Ticket.objects.filter(pk__gt=after, pk__lte=upto, citizen_phone_hash__in=list(marked))
    for tid, phone in new.values_list("pk", "citizen_phone_hash"):
        kinds = sorted({k for earlier, k in marked[phone] if earlier < tid})
        made += [TicketMark(ticket_id=tid, kind=k, source=MarkSource.HISTORY, set_at=now)
                 for k in kinds]  # fmt: skip
    return len(TicketMark.objects.bulk_create(made, ignore_conflicts=True))


# --- stricter limits and mandatory 督办 (the sweep) ---------------------------------------


def _limit_for_marks(ticket: Ticket, kinds) -> int | None:
    codes = [c for c in ticket.center.path.split("/") if c]
    days = MarkLimit.objects.filter(center__code__in=codes, kind__in=kinds).values_list(
        "limit_days", flat=True
    )
    return min(days, default=None)


def _tighten(ticket: Ticket, days: int, reason: str) -> bool:
    """Bring the ticket's deadline to `days` working days from dispatch, when that is earlier."""
    t = Ticket.objects.select_related("center__region", "region").get(pk=ticket.pk)
    if t.status not in TIGHTEN_STATUSES or t.dispatched_at is None:
        return False
    deadline = add_limit(t.dispatched_at, days, LimitUnit.WORKING_DAYS)
    if t.handle_deadline is not None and deadline >= t.handle_deadline:
        return True  # already as strict: nothing to do, and nothing left to do later
    if deadline <= timezone.now():
        log.warning("%s: %s would already be past; left as it is", t.number, reason)
        return True
    actor = supervision.rule_actor(t)
    if actor is None:
        return False
    lifecycle.tighten_deadline(ticket=t, by=actor, deadline=deadline, reason=reason)
    return True


def apply_rules() -> dict:
    """Apply topics' and marks' stricter limits to dispatched tickets, and open mandatory 督办;
    each done once per (topic or mark, ticket), by state, so a missed run is caught up."""
    limited = supervised = 0
    waiting = TopicTicket.objects.filter(
        Q(topic__limit_days__isnull=False, limit_applied=False)
        | Q(topic__mandatory_supervision=True, supervised=False),
        ticket__status__in=TIGHTEN_STATUSES,
    ).select_related("topic", "ticket__center", "ticket__lead_unit")
    for tt in waiting:
        try:
            if tt.topic.limit_days and not tt.limit_applied:
                reason = f"专题「{tt.topic.name}」时限{tt.topic.limit_days}个工作日"
                if _tighten(tt.ticket, tt.topic.limit_days, reason):
                    TopicTicket.objects.filter(pk=tt.pk).update(limit_applied=True)
                    limited += 1
            if tt.topic.mandatory_supervision and not tt.supervised and tt.ticket.lead_unit:
                item = supervision.open_for_rule(
                    ticket=tt.ticket, reason=f"专题「{tt.topic.name}」必督办"
                )
                if item is not None:
                    TopicTicket.objects.filter(pk=tt.pk).update(supervised=True)
                    supervised += 1
        except HotlineError as exc:
            log.warning("topic %s on %s: %s", tt.topic_id, tt.ticket.number, exc.message_en)
    for mark in TicketMark.objects.filter(
        limit_applied=False, ticket__status__in=TIGHTEN_STATUSES
    ).select_related("ticket__center"):
        days = _limit_for_marks(mark.ticket, [mark.kind])
        try:
            done = days is None or _tighten(
                mark.ticket, days, f"重点群体（{mark.get_kind_display()}）时限{days}个工作日"
            )
        except HotlineError as exc:
            log.warning("mark %s on %s: %s", mark.kind, mark.ticket.number, exc.message_en)
            continue
        if done:
            TicketMark.objects.filter(pk=mark.pk).update(limit_applied=True)
            limited += days is not None
    return {"limited": limited, "supervised": supervised}
