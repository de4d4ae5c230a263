"""State changes of the exchange: connected systems, inbound batches, replay of webhooks."""

import secrets

import pydantic
from django.db import transaction
from django.utils import timezone

from hotline.catalog.models import Category
from hotline.errors import Forbidden, HotlineError, InvalidInput
from hotline.orgs.models import Role
from hotline.tickets import lifecycle
from hotline.tickets.models import Channel, Ticket
from hotline.tickets.registration import RegisterInput

from .models import ConnectedSystem, Delivery, DeliveryState, Subscription
from .schemas import ExchangeTicketIn


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
    found = Ticket.objects.filter(channel=Channel.SUBCENTER, external_ref__in=refs).only(
        "number", "status", "external_ref"
    )
    return {t.external_ref: t for t in found}


def _answer(index, external_id, ticket, *, created) -> dict:
    return {
        "index": index,
        "external_id": external_id,
        "result": "created" if created else "existing",
        "number": ticket.number,
        "status": ticket.status,
    }


def ingest(*, system: ConnectedSystem, items: list) -> dict:
    """Register each work order of a batch; answer per item created / existing / rejected.

    Each item is its own transaction (inside `lifecycle.register`), so a retried batch finds
    the items that went in before the connection dropped and creates only the rest.
    """
    categories: dict[str, Category | None] = {}
    results = []
    user = system.service_user
    known = _known(system, items)
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            results.append(_rejected(index, None, None, "工单须为对象", "item must be an object"))
            continue
        try:
            item = ExchangeTicketIn.model_validate(raw)
        except pydantic.ValidationError as exc:
            results.append(_schema_error(index, raw, exc))
            continue
        found = known.get(external_ref(system, item.external_id))
        if found is not None:
            results.append(_answer(index, item.external_id, found, created=False))
            continue
        try:
            category = None
            if item.category:
                if item.category not in categories:
                    categories[item.category] = Category.objects.filter(
                        code=item.category, is_active=True
                    ).first()
                category = categories[item.category]
                if category is None:
                    raise InvalidInput(
                        "诉求分类编码不存在", f"unknown category {item.category}", field="category"
                    )
            data = RegisterInput(
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
            ticket, created = lifecycle.register(by=user, data=data)
        except HotlineError as exc:
            results.append(
                _rejected(index, item.external_id, exc.field, exc.message_zh, exc.message_en)
            )
            continue
        results.append(_answer(index, item.external_id, ticket, created=created))
        known[data.external_ref] = ticket
    count = {k: sum(1 for r in results if r["result"] == k) for k in ("created", "existing")}
    return {**count, "rejected": len(results) - sum(count.values()), "items": results}


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
