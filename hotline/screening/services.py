"""Screening services: the only code that writes the screening tables.

`tickets/lifecycle.py` calls in here (lazily, screening imports tickets) at registration and
at reply; nothing here writes a ticket row: the lifecycle applies what screening decides.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hotline.catalog.models import Urgency
from hotline.crypto import phone_hashes
from hotline.errors import IllegalTransition, InvalidInput
from hotline.orgs.models import Role

from . import dupindex, duplicates, lexicon, reply_model, reply_review, reply_training
from .dupindex import find_similar  # noqa: F401  (part of the services' interface)
from .duplicates import Signature
from .matcher import Result
from .models import (
    AlertKind,
    DuplicateSignature,
    Level,
    RepeatCase,
    RepeatHit,
    ReplyReview,
    ReviewCorrection,
    RiskAlert,
    RiskAssessment,
    Verdict,
)

DUPLICATE_WINDOW_DAYS = getattr(settings, "HOTLINE_DUPLICATE_WINDOW_DAYS", 30)
REPEAT_WINDOW_DAYS = getattr(settings, "HOTLINE_REPEAT_WINDOW_DAYS", 90)
REPEAT_TIMES = 3
REPEAT_SIMILARITY = 0.6  # counted as the same demand again


@dataclass
class Screened:
    """What registration learnt from screening, before the ticket row exists."""

    result: Result
    signature: Signature | None
    scope: str
    version: int
    event_data: dict = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)  # the caller's hashes, for the repeat check


def screen_demand(title: str, content: str) -> Result:
    """Screen a demand's text against the current lexicons (no database write)."""
    return lexicon.matcher().screen(title, content)


def screen_new(ticket, *, signature: bool = True) -> Screened:
    """Screen a ticket about to be registered; a red risk makes it 特急 before any deadline.
    Batch registration indexes its tickets later (`index_many`) and needs no signature now."""
    m = lexicon.matcher()
    result = m.screen(ticket.title, ticket.content)
    screened = Screened(
        result=result,
        signature=duplicates.signature(ticket.title, ticket.content) if signature else None,
        scope=duplicates.scope_of(ticket.region),
        version=m.version,
    )
    if result.level != Level.NONE:
        ticket.risk_level = result.level
        screened.event_data = {"risk": str(result.level), "flags": result.flags}
        if result.level == Level.RED and ticket.urgency != Urgency.CRITICAL:
            ticket.urgency = Urgency.CRITICAL
            screened.event_data["urgency"] = Urgency.CRITICAL.value
    return screened


def index_statement(ticket, screened: Screened) -> tuple[str, list] | None:
    """PostgreSQL: the one statement of `record_new`'s duplicate half (the signature, its
    band keys and the caller's earlier demands), for registration to send in the round trip
    of its inserts; its rows then go to `record_new(..., indexed=rows)`. None: no signature."""
    if screened.signature is None:
        return None
    since = ticket.created_at - timedelta(days=REPEAT_WINDOW_DAYS)
    keys = duplicates.band_keys(screened.signature, screened.scope)
    screened.phones = phone_hashes(ticket.citizen_phone)
    return dupindex.store_and_find_statement(ticket, screened.signature, screened.scope, keys,
                                             since=since, phones=screened.phones)  # fmt: skip


def caller_statement(ticket, screened: Screened) -> tuple[str, list] | None:
    """PostgreSQL: the statement that reads the caller's earlier demands for the repeat check
    before the ticket is written (registration sends it with the number's bump); its rows go
    to `plain_new`. None: no signature or no phone, nothing to look up."""
    if screened.signature is None:
        return None
    screened.phones = phone_hashes(ticket.citizen_phone)
    if not screened.phones:
        return None
    since = ticket.created_at - timedelta(days=REPEAT_WINDOW_DAYS)
    return dupindex.caller_statement(screened.scope, since=since, phones=screened.phones)


def plain_new(ticket, screened: Screened, earlier: list) -> tuple[str, list] | None | bool:
    """For a demand whose screening records nothing but its duplicate index (no risk, and
    not a repeat by the caller's earlier demands `earlier`, the rows of `caller_statement`):
    the index's statement (None: no signature), for registration to write with the ticket
    in one statement string and no other step. False: `record_new` has more to do (an
    assessment, an alert, a repeat check that may find a repeat), in a transaction."""
    if screened.result.level != Level.NONE:
        return False
    sig = screened.signature
    if sig is None:
        return None
    if earlier:
        similar = dupindex.rank_caller_rows(sig, earlier, ticket.pk)
        if sum(1 for row in similar if row[1] >= REPEAT_SIMILARITY) >= REPEAT_TIMES - 1:
            return False
    keys = duplicates.band_keys(sig, screened.scope)
    return dupindex.store_statement(ticket, sig, screened.scope, keys)


def record_new(ticket, screened: Screened, indexed: list | None = None) -> None:
    """Inside the registration's transaction: the assessment, the red alert, the signature
    and the repeat check. Ordinary demands cost one statement (`index_statement`'s, sent with
    the ticket's inserts, whose rows are `indexed`) and no more."""
    record_risks([(ticket, screened)])
    if indexed is None:
        _index(ticket, screened.signature, screened.scope)
    elif screened.signature is not None:
        similar = dupindex.rank_caller_rows(screened.signature, indexed, ticket.pk)
        _check_repeat(ticket, similar, screened.scope, screened.phones)


def _assessment(ticket, screened: Screened) -> RiskAssessment:
    r = screened.result
    return RiskAssessment(ticket=ticket, level=r.level, flags=r.flags,
                          hits=[h.as_dict() for h in r.hits], lexicon_version=screened.version,
                          created_at=ticket.created_at)  # fmt: skip


def record_risks(pairs) -> None:
    """The risk half of `record_new` for many (ticket, Screened) pairs: one INSERT for the
    assessments, an alert per red demand. Used by batch registration in its transaction."""
    risky = [(t, s) for t, s in pairs if s.result.level != Level.NONE]
    RiskAssessment.objects.bulk_create([_assessment(t, s) for t, s in risky])
    for ticket, s in risky:
        if s.result.level == Level.RED:
            words = "、".join(dict.fromkeys(h.term for h in s.result.hits if h.level == Level.RED))
            _alert(ticket, AlertKind.RED_DEMAND, ticket.center, Role.SUPERVISOR,
                   f"红色风险诉求（{words}）：工单{ticket.number}，已转特急，请值班督查立即处置")  # fmt: skip


INDEX_CHUNK = 100  # tickets per transaction in `index_many`


def index_many(tickets) -> tuple[int, int]:
    """The duplicate half of `record_new` for the tickets of a batch, indexed afterwards
    (hotline.tickets.tasks): signature, band keys and the repeat check, in id order (as
    one-by-one registration would have met them), one transaction per INDEX_CHUNK tickets.
    Idempotent: tickets already in the index (a task run again) are skipped, found by one
    lookup. Returns (indexed, skipped)."""
    tickets = sorted(tickets, key=lambda t: t.pk)
    done = set(
        DuplicateSignature.objects.filter(ticket_id__in=[t.pk for t in tickets]).values_list(
            "ticket_id", flat=True
        )
    )
    indexed = 0
    for start in range(0, len(tickets), INDEX_CHUNK):
        with transaction.atomic():
            for ticket in tickets[start : start + INDEX_CHUNK]:
                if ticket.pk in done:
                    continue
                signature = duplicates.signature(ticket.title, ticket.content)
                _index(ticket, signature, duplicates.scope_of(ticket.region))
                indexed += signature is not None
    return indexed, len(tickets) - indexed


def _index(ticket, signature, scope) -> None:
    if signature is None:
        return
    since = ticket.created_at - timedelta(days=REPEAT_WINDOW_DAYS)
    keys = duplicates.band_keys(signature, scope)
    phones = phone_hashes(ticket.citizen_phone)
    similar = dupindex.store_and_find(ticket, signature, scope, keys, since=since, phones=phones)
    _check_repeat(ticket, similar, scope, phones)


def _check_repeat(ticket, similar: list[tuple], scope: str, phones: list[str]) -> None:
    """`similar`: the same caller's earlier demands in the scope (dupindex.store_and_find)."""
    same = [row for row in similar if row[1] >= REPEAT_SIMILARITY]
    if len(same) >= REPEAT_TIMES - 1 and phones:
        _repeat(ticket, same, scope, phones)


def _alert(ticket, kind, unit, role, message) -> None:
    """One alert per ticket and kind; a retry or a second sweep does not repeat it."""
    try:
        with transaction.atomic():
            RiskAlert.objects.create(
                ticket=ticket,
                kind=kind,
                unit=unit,
                role=role,
                message=message[:300],
                created_at=timezone.now(),
            )
    except IntegrityError:
        pass


_HIT = (
    f"INSERT INTO {RepeatHit._meta.db_table} (case_id, ticket_id, created_at) VALUES (%s, %s, %s)"
)


def _add_hit(case_id: int, ticket) -> None:
    """RepeatHit(case, ticket) as one plain INSERT: on a demand that repeats an open case (a
    caller ringing again about the same thing) `objects.create` cost a registration ~8 % of
    its CPU in compiling the statement (cProfile, bench/bench_register_ratio.py)."""
    at = RepeatHit._meta.get_field("created_at").get_db_prep_save(ticket.created_at, connection)
    with connection.cursor() as cursor:
        cursor.execute(_HIT, [case_id, ticket.pk, at])


def _repeat(ticket, similar: list[tuple], scope: str, phones: list[str]) -> None:
    """`similar`: (id, similarity, number, status, resolved, phone hash, created_at, case id)
    of the near-duplicates, as the duplicate lookup returned them (no further query)."""
    from hotline.tickets.models import Status, Ticket

    earlier = sorted(
        (
            (pk, number, status, resolved, phone, created_at, case_id)
            for pk, _, number, status, resolved, phone, created_at, case_id in similar
            # The same caller again: many callers about one thing are a hot topic, not a repeat.
            if phone in phones
            and status not in (Status.MERGED, Status.INVALID)
            and not (status == Status.CLOSED and resolved)
        ),
        key=lambda r: (r[5], r[0]),
    )
    if len(earlier) < REPEAT_TIMES - 1:
        return
    known = next((r[6] for r in reversed(earlier) if r[6]), None)
    if known is not None:  # one more of an open case: one insert, no lock
        _add_hit(known, ticket)
        return
    first_id = earlier[0][0]
    try:
        with transaction.atomic():
            case = RepeatCase.objects.create(
                first_ticket_id=first_id,
                scope=scope,
                first_at=earlier[0][5],
                created_at=ticket.created_at,
            )
    except IntegrityError:  # a registration of the same demand created it a moment ago
        case = RepeatCase.objects.get(first_ticket_id=first_id)
    RepeatHit.objects.bulk_create(
        [RepeatHit(case=case, ticket_id=r[0], created_at=r[5]) for r in earlier]
        + [RepeatHit(case=case, ticket=ticket, created_at=ticket.created_at)],
        ignore_conflicts=True,  # a ticket already counted elsewhere stays there
    )
    first = Ticket.objects.select_related("center").get(pk=first_id)
    latest = Ticket.objects.select_related("lead_unit", "center").get(pk=earlier[-1][0])
    unit = latest.lead_unit or latest.center
    role = Role.LEADER if latest.lead_unit_id else Role.SUPERVISOR
    times = len(earlier) + 1
    _alert(first, AlertKind.REPEAT, unit, role,
           f"反复投诉未解决：同一诉求90天内已{times}次（首件{first.number}），请分管领导督办")  # fmt: skip


# ---- replies ------------------------------------------------------------------------------


def check_reply(ticket, body: str) -> reply_review.Review:
    """Review a reply against the ticket's demand (no database write)."""
    from hotline.orgs.models import Region

    regions = ()
    if ticket.region_id:
        codes = [c for c in ticket.region.path.split("/") if c]
        regions = tuple(Region.objects.filter(code__in=codes).values_list("name", flat=True))
    return reply_model.assess(
        body,
        title=ticket.title,
        content=ticket.content,
        citizen_phone=ticket.citizen_phone,
        matcher=lexicon.matcher(),
        regions=regions,
        districts=_districts(),
    )


_district_cache: dict = {"at": -1e9, "names": ()}


def _districts() -> tuple[str, ...]:
    """County names (鼓楼区, 闽侯县 …) to find in replies; refreshed every ten minutes."""
    import time

    from hotline.orgs.models import Region, RegionLevel

    now = time.monotonic()
    if now - _district_cache["at"] > 600:
        names = Region.objects.filter(level=RegionLevel.COUNTY).values_list("name", flat=True)
        _district_cache.update(at=now, names=tuple(n for n in set(names) if len(n) >= 2))
    return _district_cache["names"]


def review_reply(*, ticket, body: str, by) -> ReplyReview:
    """Called by lifecycle.reply: a blocked reply is refused whole (nothing changes), any other
    verdict is stored for the reviewer."""
    review = refuse_blocked(ticket, body)
    return store_review(ticket=ticket, body=body, review=review, by=by)


def refuse_blocked(ticket, body: str):
    """The automatic check of a reply; a blocked one is refused (InvalidInput on `body`)."""
    review = check_reply(ticket, body)
    if review.verdict == Verdict.BLOCK:
        zh = "；".join(r.message_zh for r in review.reasons if r.severity == Verdict.BLOCK)
        en = "; ".join(r.message_en for r in review.reasons if r.severity == Verdict.BLOCK)
        raise InvalidInput(f"答复未通过自动审查，请修改后再提交：{zh}",
                           f"the reply is blocked by the automatic check: {en}", field="body")  # fmt: skip
    return review


def store_review(*, ticket, body: str, review, by) -> ReplyReview:
    record = review_record(ticket=ticket, body=body, review=review, by=by)
    record.save()
    return record


def review_record(*, ticket, body: str, review, by=None) -> ReplyReview:
    """The review as the row `store_review` writes, unsaved: a page may show one made now."""
    return ReplyReview(
        ticket=ticket,
        verdict=review.verdict,
        score=review.score,
        reasons=[r.as_dict() for r in review.reasons],
        scores=review.scores,
        probability=review.probability,
        body=body,
        created_at=timezone.now(),
        created_by=by,
    )


def latest_review(ticket) -> ReplyReview | None:
    return ReplyReview.objects.filter(ticket=ticket).order_by("-id").first()


def record_review_decision(*, ticket, by, send_back: bool) -> ReviewCorrection | None:
    """Called by lifecycle.approve_reply / reject_reply: keep the reviewer's decision when it
    goes against the automatic review (flagged and approved, or passed and sent back), so the
    next scorer learns it. Agreement teaches nothing new and is not stored."""
    last = latest_review(ticket)
    if last is None or (last.verdict != Verdict.PASS) == send_back:
        return None
    return ReviewCorrection.objects.create(
        review=last,
        ticket=ticket,
        machine_verdict=last.verdict,
        send_back=send_back,
        frozen=reply_training.is_frozen(last.body),
        decided_by=by,
    )


def require_approvable(ticket) -> None:
    """Called by lifecycle.approve_reply: a reply whose latest check is "block" cannot pass."""
    last = latest_review(ticket)
    if last is not None and last.verdict == Verdict.BLOCK:
        zh = "；".join(r["message_zh"] for r in last.reasons if r["severity"] == Verdict.BLOCK)
        raise IllegalTransition(f"答复自动审查结论为“拦截”，不能审核通过，请退回承办单位修改：{zh}",
                                "the reply is blocked by the automatic check; send it back")  # fmt: skip
