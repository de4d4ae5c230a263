"""Rule 5: the append-only, hash-chained history of a ticket, and the outbox row of each change."""

import hashlib
import itertools
import json
from dataclasses import dataclass
from datetime import UTC

from django.utils import timezone

from hotline.exchange.models import OutboxMessage

from . import fastinsert, partitions
from .models import Ticket, TicketEvent

GENESIS = "0" * 64


def canonical_json(value) -> str:
    """The canonical JSON of the hashed form: compact, keys sorted, UTF-8 (not \\u-escaped).

    The hashed form of an event is the canonical JSON of one array (see `event_hash`). JSON
    joins an array's items with "," and nothing else, so "[" + ",".join(canonical_json(item)
    for item in items) + "]" is byte for byte canonical_json(items): a writer that serialises
    the items on its own (the bulk loader does, once per item) hashes the same bytes.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def hash_time(moment) -> str:
    """The time as it enters the hashed form: UTC, ISO 8601, always with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def form_digest(body: str) -> str:
    """SHA-256 (hex) of a hashed form."""
    return hashlib.sha256(body.encode()).hexdigest()


def event_hash(
    *, number, seq, action, from_status, to_status, actor_id, actor_unit_id, data, created_at, prev
):
    """SHA-256 over a canonical form of the event and the hash of the one before.

    The form is canonical_json([number, seq, action, from_status, to_status, actor_id,
    actor_unit_id, data, hash_time(created_at), prev]).
    """
    return form_digest(
        canonical_json(
            [
                number,
                seq,
                action,
                from_status,
                to_status,
                actor_id,
                actor_unit_id,
                data,
                hash_time(created_at),
                prev,
            ]
        )
    )


def build_event(
    ticket: Ticket, *, action, from_status, actor=None, actor_unit=None, data=None, at=None
) -> TicketEvent:
    """Make (not save) the next event of `ticket` and advance the ticket's chain head."""
    at = at or timezone.now()
    data = data or {}
    seq = ticket.event_count + 1
    prev = ticket.last_event_hash or GENESIS
    actor_id = actor.pk if actor is not None else None
    unit_id = actor_unit.pk if actor_unit is not None else None
    digest = event_hash(
        number=ticket.number,
        seq=seq,
        action=action,
        from_status=from_status,
        to_status=ticket.status,
        actor_id=actor_id,
        actor_unit_id=unit_id,
        data=data,
        created_at=at,
        prev=prev,
    )
    ticket.event_count = seq
    ticket.last_event_hash = digest
    return fastinsert.instance(
        TicketEvent,
        {
            "ticket_id": ticket.pk,
            "seq": seq,
            "action": action,
            "from_status": from_status,
            "to_status": ticket.status,
            "actor_id": actor_id,
            "actor_unit_id": unit_id,
            "data": data,
            "created_at": at,
            "prev_hash": prev,
            "hash": digest,
        },
        {"ticket": ticket},
    )


def _payload(ticket: Ticket, event: TicketEvent) -> dict:
    return {
        "ticket": ticket.number,
        "external_ref": ticket.external_ref,
        "seq": event.seq,
        "action": event.action,
        "from_status": event.from_status,
        "status": event.to_status,
        "at": event.created_at.isoformat(),
        "data": event.data,
    }


def build_outbox(ticket: Ticket, event: TicketEvent, pk: int | None = None) -> OutboxMessage:
    return OutboxMessage(
        pk=pk,
        ticket=ticket,
        event=event,
        topic=f"ticket.{event.action}",
        payload=_payload(ticket, event),
        created_at=event.created_at,
    )


def append(ticket: Ticket, **kwargs) -> TicketEvent:
    """Save the next event and its outbox row; the caller saves the ticket in the same transaction."""
    event = build_event(ticket, **kwargs)
    save(ticket, event)
    return event


def save(ticket: Ticket, event: TicketEvent, outbox_id: int | None = None) -> None:
    """Insert a built event and its outbox row (the ticket must be saved already, or be
    inserted before them in the same transaction). `outbox_id`: the outbox row's key when it
    is drawn already (registration draws it with the number)."""
    event.ticket_id = ticket.pk
    fastinsert.insert(event)
    fastinsert.insert(build_outbox(ticket, event, outbox_id))


def save_many(pairs) -> None:
    """`save` for many (ticket, event) pairs in multi-row INSERTs: events, then outbox rows."""
    events = []
    for ticket, event in pairs:
        event.ticket_id = ticket.pk
        events.append(event)
    fastinsert.insert_many(events)
    # The outbox rows as plain rows: a model instance each would cost more than its insert.
    fastinsert.insert_rows(
        OutboxMessage,
        ["ticket", "event", "topic", "payload", "created_at", "published_at"],
        [(t.pk, e.pk, f"ticket.{e.action}", _payload(t, e), e.created_at, None) for t, e in pairs],
    )


@dataclass
class ChainReport:
    ticket_number: str
    ok: bool
    problem: str = ""
    seq: int | None = None


def verify(ticket: Ticket) -> ChainReport:
    """Recompute the chain of one ticket; report the first event that does not fit."""
    return verify_events(ticket, ticket.events.order_by("seq").iterator(), partitions.horizon())


def verify_events(ticket: Ticket, events, archived_before=None) -> ChainReport:
    """Check `events` (the ticket's, in seq order) against each other and the ticket's head.

    `archived_before`: where the attached history starts (partitions.horizon()). A month is
    archived only with every chain that runs through it, so a ticket last changed before
    then has all its events in the archive and none here."""
    events = iter(events)
    first = next(events, None)
    archived = archived_before and ticket.event_count and ticket.updated_at < archived_before
    if first is None and archived:
        return ChainReport(ticket.number, True, "历史已归档 history archived")
    if first is not None:
        events = itertools.chain([first], events)
    prev = GENESIS
    expected_seq = 0
    last_status = None
    for ev in events:
        expected_seq += 1
        if ev.seq != expected_seq:
            return ChainReport(
                ticket.number, False, f"事件缺失 missing event {expected_seq}", ev.seq
            )
        if ev.prev_hash != prev:
            return ChainReport(ticket.number, False, "前序哈希不符 prev hash mismatch", ev.seq)
        digest = event_hash(
            number=ticket.number,
            seq=ev.seq,
            action=ev.action,
            from_status=ev.from_status,
            to_status=ev.to_status,
            actor_id=ev.actor_id,
            actor_unit_id=ev.actor_unit_id,
            data=ev.data,
            created_at=ev.created_at,
            prev=ev.prev_hash,
        )
        if digest != ev.hash:
            return ChainReport(ticket.number, False, "事件内容被改动 event altered", ev.seq)
        prev = ev.hash
        last_status = ev.to_status
    if last_status is not None and last_status != ticket.status:
        return ChainReport(ticket.number, False, "状态与记录不符 status differs from history")
    if expected_seq != ticket.event_count or prev != (ticket.last_event_hash or GENESIS):
        return ChainReport(
            ticket.number, False, "链尾不符（事件被删除）chain head mismatch (event deleted)"
        )
    return ChainReport(ticket.number, True)


def verify_all(tickets, chunk: int = 2000):
    """Yield a report per ticket of `tickets`, reading events a chunk of tickets at a time."""
    batch, edge = [], partitions.horizon()
    for ticket in tickets.order_by("pk").iterator(chunk_size=chunk):
        batch.append(ticket)
        if len(batch) == chunk:
            yield from _verify_batch(batch, edge)
            batch = []
    if batch:
        yield from _verify_batch(batch, edge)


def _verify_batch(batch, edge):
    by_ticket: dict[int, list] = {t.pk: [] for t in batch}
    events = TicketEvent.objects.filter(ticket_id__in=list(by_ticket)).order_by("ticket_id", "seq")
    for ev in events.iterator(chunk_size=10000):
        by_ticket[ev.ticket_id].append(ev)
    for t in batch:
        yield verify_events(t, by_ticket[t.pk], edge)
