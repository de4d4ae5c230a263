"""Webhook delivery: at least once, in order per ticket, resumable at any point.

All state is in the database. `enqueue` turns new outbox rows into Delivery rows of each
subscription (its cursor moves in the same transaction); `send` posts a batch of pending
deliveries and marks them delivered in the transaction that holds the subscription's lock.
A worker killed before that commit leaves them pending: they are sent again (at least once).

Order per ticket: a delivery is sent only if no earlier delivery of the same ticket is still
owed (waiting for its retry, or dead). A dead letter blocks its ticket until an administrator
replays it (`services.replay`), so event n+1 never arrives before event n.
"""

import json
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from hotline.orgs import scope

from . import police, signing
from .models import (
    ConnectedSystem,
    Delivery,
    DeliveryState,
    OutboxMessage,
    Subscription,
    SystemKind,
)

ENQUEUE_CHUNK = 5000
BATCH = 200  # events per POST: one request per event would cap fan-out at the round trip
WINDOW = 2000  # pending deliveries looked at per send (blocked ones are skipped)
TIMEOUT_SECONDS = 10


def settle_seconds() -> float:
    """How old an outbox row must be before it is read by id: a transaction that took id 10
    may commit after the one that took id 11, and a cursor past 11 would never see 10."""
    return getattr(settings, "HOTLINE_EXCHANGE_SETTLE_SECONDS", 5)


def backoff(attempts: int) -> timedelta:
    """Exponential: base, 2·base, 4·base … capped (defaults 10 s … 1 h)."""
    base = getattr(settings, "HOTLINE_EXCHANGE_RETRY_BASE_SECONDS", 10)
    cap = getattr(settings, "HOTLINE_EXCHANGE_RETRY_CAP_SECONDS", 3600)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def settled_messages(after: int, now, limit: int):
    """Outbox (id, ticket_id) after `after`, up to the first row too young to be settled."""
    limit_at = now - timedelta(seconds=settle_seconds())
    rows = (
        OutboxMessage.objects.filter(id__gt=after)
        .order_by("id")
        .values_list("id", "ticket_id", "created_at")[:limit]
    )
    out = []
    for msg_id, ticket_id, created_at in rows:
        if created_at > limit_at:
            break
        out.append((msg_id, ticket_id))
    return out


def readable(reader) -> Q:
    """The outbox rows a reader may have (rule 2): a police partner the linkage steps that
    name it; a sub-center its service user's scope; a user their own scope."""
    if isinstance(reader, ConnectedSystem):
        if reader.kind == SystemKind.POLICE:
            return police.messages(reader)
        reader = reader.service_user
    return Q(ticket__in=scope.visible_tickets(reader))


def _lock(sub_id: int) -> Subscription | None:
    query = Subscription.objects.select_related("system__service_user")
    if connection.features.has_select_for_update_skip_locked:
        # Another worker holds it: skip rather than wait, it is being served.
        query = query.select_for_update(skip_locked=True, of=("self",))
    return query.filter(pk=sub_id, is_active=True, system__is_active=True).first()


def enqueue(sub_id: int, now=None) -> tuple[int, int]:
    """Queue the settled outbox rows in the subscription's scope; returns (scanned, queued)."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _lock(sub_id)
        if sub is None:
            return 0, 0
        window = settled_messages(sub.cursor, now, ENQUEUE_CHUNK)
        if not window:
            return 0, 0
        ids = [m for m, _ in window]
        in_scope = set(
            OutboxMessage.objects.filter(readable(sub.system), id__in=ids).values_list(
                "id", flat=True
            )
        )
        Delivery.objects.bulk_create(
            [
                Delivery(subscription=sub, message_id=m, ticket_id=t, next_attempt_at=now)
                for m, t in window
                if m in in_scope
            ],
            ignore_conflicts=True,
        )
        Subscription.objects.filter(pk=sub.pk).update(cursor=ids[-1])
        return len(window), len(in_scope)


def _due(sub: Subscription, now) -> list[Delivery]:
    blocked = set(
        Delivery.objects.filter(subscription=sub, state=DeliveryState.DEAD).values_list(
            "ticket_id", flat=True
        )
    )
    # Only the columns that decide; the messages are read for the chosen batch alone.
    pending = (
        Delivery.objects.filter(subscription=sub, state=DeliveryState.PENDING)
        .only("id", "message_id", "ticket_id", "next_attempt_at", "attempts")
        .order_by("message_id")[:WINDOW]
    )
    batch = []
    for d in pending:
        if d.ticket_id in blocked:
            continue
        if d.next_attempt_at > now:
            # Waiting for a retry: every later event of its ticket waits behind it.
            blocked.add(d.ticket_id)
            continue
        batch.append(d)
        if len(batch) == BATCH:
            break
    messages = OutboxMessage.objects.in_bulk([d.message_id for d in batch])
    for d in batch:
        d.message = messages[d.message_id]
    return batch


def body_of(sub: Subscription, batch: list[Delivery]) -> bytes:
    events = [{"id": d.message_id, "topic": d.message.topic, **d.message.payload} for d in batch]
    doc = {"subscription": sub.pk, "system": sub.system.code, "events": events}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def post(sub: Subscription, body: bytes) -> str:
    """POST the signed body; returns "" on a 2xx answer, else what went wrong."""
    head = signing.headers(sub.system.code, sub.secret, body)
    request = urllib.request.Request(
        sub.url, data=body, method="POST", headers={"Content-Type": "application/json", **head}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
            return ""
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


def _mark_delivered(ids: list[int], now) -> None:
    Delivery.objects.filter(id__in=ids).update(
        state=DeliveryState.DELIVERED, delivered_at=now, last_error=""
    )


def _mark_failed(sub: Subscription, batch: list[Delivery], error: str, now) -> None:
    for d in batch:
        d.attempts += 1
        d.last_error = error
        if d.attempts >= sub.max_attempts:
            d.state = DeliveryState.DEAD
        else:
            d.next_attempt_at = now + backoff(d.attempts)
    Delivery.objects.bulk_update(batch, ["attempts", "last_error", "state", "next_attempt_at"])


def send(sub_id: int, now=None) -> tuple[int, int]:
    """Post one batch of due deliveries; returns (delivered, failed)."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _lock(sub_id)
        if sub is None:
            return 0, 0
        batch = _due(sub, now)
        if not batch:
            return 0, 0
        error = post(sub, body_of(sub, batch))
        if error:
            _mark_failed(sub, batch, error, now)
            return 0, len(batch)
        _mark_delivered([d.id for d in batch], now)
        return len(batch), 0


def run_once(now=None) -> dict:
    """Queue and send everything that is due now, for every active subscription."""
    totals = {"queued": 0, "delivered": 0, "failed": 0}
    subs = Subscription.objects.filter(is_active=True, system__is_active=True).order_by("id")
    for sub_id in subs.values_list("id", flat=True):
        while True:
            scanned, queued = enqueue(sub_id, now)
            totals["queued"] += queued
            if not scanned:
                break
        while True:
            delivered, failed = send(sub_id, now)
            totals["delivered"] += delivered
            totals["failed"] += failed
            # A failure ends this subscription's turn: its receiver is likely down.
            if not delivered:
                break
    return totals
