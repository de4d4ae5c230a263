"""State changes of the exchange: connected systems, inbound batches, replay of webhooks."""

import secrets

import pydantic
from django.db import transaction
from django.utils import timezone

from hotline.catalog.models import Category
from hotline.errors import Forbidden, HotlineError, InvalidInput
from hotline.orgs.models import Role
from hotline.tickets import lifecycle
from hotline.tickets.lifecycle.batch import cyclic_gc_paused, known_refs
from hotline.tickets.models import Channel, Ticket
from hotline.tickets.registration import RegisterInput

from .models import ConnectedSystem, Delivery, DeliveryState, SelfHandledTicket, Subscription
from .schemas import ExchangeTicketIn, StatusUpdateIn


def connect_system(*, code: str, name: str, unit, service_user) -> ConnectedSystem:
    """Register a connected system with a fresh secret (shown to its operator once)."""
    return ConnectedSystem.objects.create(
        code=code,
        name=name,
        unit=unit,
        service_user=service_user,
        secret=secrets.token_hex(32),
    )


def external_ref(system: ConnectedSystem, external_id: str) -> str:
    """The ticket's reference: the system's code makes (system, external id) unique within
    the `subcenter` channel, so the existing (channel, external_ref) key keeps intake
    idempotent without a new constraint on the ticket."""
    return f"{system.code}:{external_id}"


def _rejected(index, external_id, field, zh, en) -> dict:
    return {
        "index": index,
        "external_id": external_id,
        "result": "rejected",
        "field": field,
        "message_zh": zh,
        "message_en": en,
    }


def _schema_error(index, raw, exc: pydantic.ValidationError) -> dict:
    first = exc.errors()[0]
    field = ".".join(str(x) for x in first.get("loc", ())) or None
    msg = first.get("msg", "invalid")
    ext = raw.get("external_id") if isinstance(raw.get("external_id"), str) else None
    return _rejected(index, ext, field, f"字段「{field}」无效：{msg}", f"{field}: {msg}")


def _known(system: ConnectedSystem, items: list) -> dict:
    """The tickets a retried batch already made, found in one query: a retry then costs no
    registration attempt (nor a ticket number, nor screening). `register` still settles a
    race between two deliveries of the same batch through the unique key."""
    refs = [
        external_ref(system, raw["external_id"])
        for raw in items
        if isinstance(raw, dict) and isinstance(raw.get("external_id"), str)
    ]
    return {
        ref: Ticket(pk=pk, number=number, status=status)
        for ref, (pk, number, status) in known_refs(Channel.SUBCENTER, refs).items()
    }


def _answer(index, external_id, ticket, *, created) -> dict:
    return {
        "index": index,
        "external_id": external_id,
        "result": "created" if created else "existing",
        "number": ticket.number,
        "status": ticket.status,
    }


def category_by_code(code, cache: dict) -> Category | None:
    """The active category of `code` (None for none), looked up once per `cache`."""
    if not code:
        return None
    if code not in cache:
        cache[code] = Category.objects.filter(code=code, is_active=True).first()
    if cache[code] is None:
        raise InvalidInput("诉求分类编码不存在", f"unknown category {code}", field="category")
    return cache[code]


def _register_input(system: ConnectedSystem, item: ExchangeTicketIn, category) -> RegisterInput:
    return RegisterInput(
        channel=Channel.SUBCENTER,
        appeal_type=item.appeal_type,
        title=item.title,
        content=item.content,
        urgency=item.urgency,
        citizen_name=item.citizen_name,
        citizen_phone=item.citizen_phone,
        anonymous=item.anonymous,
        confidential=item.confidential,
        category=category,
        region=item.region,
        address=item.address,
        latitude=item.latitude,
        longitude=item.longitude,
        external_ref=external_ref(system, item.external_id),
        center_code=system.unit.code,
    )


def ingest(*, system: ConnectedSystem, items: list) -> dict:
    """Register the work orders of a batch; answer per item created / existing / rejected.

    The batch goes through `lifecycle.register_many`: one transaction for all its good items,
    so a batch cut off before its commit left nothing, and its retry creates each ticket once
    (the known ones are answered `existing` from one lookup, before any check)."""
    with cyclic_gc_paused():  # the item checks and the answers allocate per item too
        return _ingest(system, items)


def _ingest(system: ConnectedSystem, items: list) -> dict:
    categories: dict[str, Category | None] = {}
    results: list[dict | None] = [None] * len(items)
    known = _known(system, items)
    todo = []  # (index, external id, RegisterInput)
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            results[index] = _rejected(index, None, None, "工单须为对象", "item must be an object")
            continue
        try:
            item = ExchangeTicketIn.model_validate(raw)
        except pydantic.ValidationError as exc:
            results[index] = _schema_error(index, raw, exc)
            continue
        found = known.get(external_ref(system, item.external_id))
        if found is not None:
            results[index] = _answer(index, item.external_id, found, created=False)
            continue
        try:
            data = _register_input(system, item, category_by_code(item.category, categories))
        except HotlineError as exc:
            results[index] = _rejected(
                index, item.external_id, exc.field, exc.message_zh, exc.message_en
            )
            continue
        todo.append((index, item.external_id, data, item.self_handled))
    self_handled = {n for n, (_, _, _, own) in enumerate(todo) if own}

    def mark(pairs):
        SelfHandledTicket.objects.bulk_create(
            [SelfHandledTicket(ticket=t, system=system) for n, t in pairs if n in self_handled]
        )

    done = lifecycle.register_many(
        by=system.service_user, items=[d for _, _, d, _ in todo], on_created=mark
    )
    for (index, ext, _, _), r in zip(todo, done, strict=True):
        if r.error is not None:
            e = r.error
            results[index] = _rejected(index, ext, e.field, e.message_zh, e.message_en)
        else:
            results[index] = _answer(index, ext, r.ticket, created=r.created)
    count = {k: sum(1 for r in results if r["result"] == k) for k in ("created", "existing")}
    return {**count, "rejected": len(results) - sum(count.values()), "items": results}


def _status_answer(index, external_id, ticket, result) -> dict:
    return {
        "index": index,
        "external_id": external_id,
        "result": result,
        "number": ticket.number,
        "status": ticket.status,
    }


def report_statuses(*, system: ConnectedSystem, items: list) -> dict:
    """Apply a system's status reports on the tickets it handles itself, one by one, in the
    order sent; answer per item applied / unchanged (sent before) / stale (older than the
    last applied report) / rejected. A system reaches only its own tickets: the reference
    is made of its code, so another system's external id finds nothing (not found)."""
    results = []
    refs = {
        external_ref(system, raw["external_id"]): None
        for raw in items
        if isinstance(raw, dict) and isinstance(raw.get("external_id"), str)
    }
    tickets = {
        t.external_ref: t
        for t in Ticket.objects.filter(channel=Channel.SUBCENTER, external_ref__in=list(refs))
    }
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            results.append(_rejected(index, None, None, "报送须为对象", "item must be an object"))
            continue
        try:
            item = StatusUpdateIn.model_validate(raw)
        except pydantic.ValidationError as exc:
            results.append(_schema_error(index, raw, exc))
            continue
        ticket = tickets.get(external_ref(system, item.external_id))
        if ticket is None:
            results.append(_rejected(index, item.external_id, "external_id",
                                     "本系统没有该编号的工单", "no ticket of this system has that id"))  # fmt: skip
            continue
        try:
            ticket, outcome = lifecycle.report_self_handled(
                ticket=ticket,
                by=system.service_user,
                state=item.state,
                at=item.at,
                reply=item.reply,
                satisfaction=item.satisfaction or "",
                resolved=item.resolved,
                note=item.note,
            )
        except HotlineError as exc:
            results.append(
                _rejected(index, item.external_id, exc.field, exc.message_zh, exc.message_en)
            )
            continue
        tickets[ticket.external_ref] = ticket
        results.append(_status_answer(index, item.external_id, ticket, outcome))
    kinds = ("applied", "unchanged", "stale", "rejected")
    return {**{k: sum(1 for r in results if r["result"] == k) for k in kinds}, "items": results}


def is_admin(user) -> bool:
    if user.is_superuser:
        return True
    return user.memberships.filter(role=Role.ADMIN, is_active=True).exists()


@transaction.atomic
def replay(*, subscription: Subscription, by, from_message: int | None = None) -> int:
    """Send dead-lettered deliveries again (and, from `from_message` on, delivered ones too).

    Only an administrator may; returns how many deliveries were put back in the queue."""
    if not is_admin(by):
        raise Forbidden("只有系统管理员可以重放事件", "only an administrator may replay events")
    queue = Delivery.objects.filter(subscription=subscription)
    if from_message is None:
        queue = queue.filter(state=DeliveryState.DEAD)
    else:
        queue = queue.filter(message_id__gte=from_message)
    return queue.update(
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        delivered_at=None,
        last_error="",
    )
