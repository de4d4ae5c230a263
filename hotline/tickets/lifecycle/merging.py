"""并单: duplicates merged into the ticket that carries the demand on, one or many at once.

`merge_many` applies to each ticket exactly what `merge` applies (the same checks in the same
order with the same errors, a `merge` event on the ticket and an `absorb` event on the parent,
each with its outbox row), but pays per batch what `merge` pays per ticket: one statement
locks the parent and the tickets in id order, one UPDATE moves the tickets, one UPDATE ends
their assignments, one the parent's chain head, and the events and outbox rows go in as
multi-row INSERTs (COPY on PostgreSQL). An incident's surge merges tens of thousands of
tickets into a few parents; one at a time that cost ~18 round trips a ticket.
"""

import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from hotline.errors import HotlineError, IllegalTransition, InvalidInput

from .. import history
from ..guards import at_center, require_status, text
from ..models import Assignment, Status, Ticket
from ._base import BEFORE_REPLY, INTAKE_ROLES, _lock_many, _locking, self_handled_refusal
from .batch import cyclic_gc_paused

NOT_OPEN = {Status.MERGED, Status.INVALID, Status.CLOSED}
# What the checks, the events and the outbox rows read of a ticket.
READ = ("number", "status", "external_ref", "event_count", "last_event_hash")


@dataclass
class Merged:
    """One ticket's outcome: merged, or `error` says why (nothing of it was written)."""

    ticket: Ticket
    error: HotlineError | None = None


@transaction.atomic
def merge(*, ticket: Ticket, into: Ticket, by, note: str = "") -> Ticket:
    """Merge a duplicate into the ticket that carries the demand on (并单)."""
    if ticket.pk == into.pk:
        raise _into_itself()
    (outcome,) = merge_many(tickets=[ticket], into=into, by=by, note=note)
    if outcome.error is not None:
        raise outcome.error
    # The whole ticket, as every transition returns it (the batch reads only what it needs).
    return _locking().get(pk=ticket.pk)


@transaction.atomic
def merge_many(*, tickets: list[Ticket], into: Ticket, by, note: str = "") -> list[Merged]:
    """Merge `tickets` into `into`; one `Merged` per ticket, in order. A refused ticket (its
    state, the actor's right at its center) stays as it was while the others are merged; a
    refusal that concerns the parent or the note refuses every ticket, with `merge`'s error."""
    with cyclic_gc_paused():
        return _merge_many(tickets, into, by, note)


def _merge_many(tickets, into, by, note) -> list[Merged]:
    locked = _lock_many({into.pk, *(t.pk for t in tickets)}, READ)
    missing = [t.pk for t in (into, *tickets) if t.pk not in locked]
    if missing:
        raise Ticket.DoesNotExist(f"tickets {missing} do not exist")
    target = locked[into.pk]
    checks = _Checks(target, by, note)
    outcomes: dict[int, Merged] = {}
    moving = []  # (ticket, membership)
    for ticket in tickets:
        if ticket.pk in outcomes:  # named twice: merged once
            continue
        t = locked[ticket.pk]
        membership, error = checks.refusal(t)
        outcomes[t.pk] = Merged(t, error)
        if error is None:
            moving.append((t, membership))
    if moving:
        _apply(moving, target, by, checks.note)
    return [outcomes[t.pk] for t in tickets]


class _Checks:
    """`merge`'s checks, in its order; those of the parent and the note made once a batch,
    the actor's right once per center."""

    def __init__(self, target: Ticket, by, note: str):
        self.target, self.by = target, by
        self.target_closed = (
            IllegalTransition(
                "目标工单已办结、无效或已并单", "the target ticket is not open", field="into"
            )
            if target.status in NOT_OPEN
            else None
        )
        _, self.target_forbidden = _attempt(lambda: at_center(by, target, INTAKE_ROLES, "merge"))
        self.note, self.bad_note = _attempt(
            lambda: text(note, "note", "并单说明", min_len=0, max_len=1000)
        )
        self.at_center: dict[int, tuple] = {}  # center id -> (membership, error)

    def refusal(self, t: Ticket) -> tuple:
        """(the actor's membership at `t`'s center, None), or (None, why `t` is refused)."""
        target = self.target
        if t.pk == target.pk:
            return None, _into_itself()
        # `merge` locks the two rows in id order and the first self-handled one refuses.
        for row in sorted((t, target), key=lambda x: x.pk):
            if row.is_self_handled:
                return None, self_handled_refusal()
        try:
            require_status(t, BEFORE_REPLY, "merge")
        except HotlineError as exc:
            return None, exc
        if self.target_closed is not None:
            return None, self.target_closed
        if t.center_id not in self.at_center:
            self.at_center[t.center_id] = _attempt(
                lambda: at_center(self.by, t, INTAKE_ROLES, "merge")
            )
        membership, error = self.at_center[t.center_id]
        error = error or self.target_forbidden or self.bad_note
        return (None, error) if error is not None else (membership, None)


def _attempt(check) -> tuple:
    try:
        return check(), None
    except HotlineError as exc:
        return None, exc


def _into_itself() -> InvalidInput:
    return InvalidInput("不能与自身并单", "a ticket cannot be merged into itself", field="into")


def _apply(moving, target: Ticket, by, note: str) -> None:
    """The change of each ticket and of the parent, with their events in the order N single
    merges write them (a ticket's `merge`, then the parent's `absorb`), so the outbox
    delivers them in that order too."""
    now = timezone.now()
    pairs = []
    for t, membership in moving:
        prior = t.status
        t.status = Status.MERGED
        t.merged_into = target
        t.closed_at = t.updated_at = now
        event = history.build_event(
            t,
            action="merge",
            from_status=prior,
            actor=by,
            actor_unit=membership.unit,
            data={"into": target.number, "note": note},
            at=now,
        )
        pairs.append((t, event))
        absorbed = history.build_event(
            target,
            action="absorb",
            from_status=target.status,
            actor=by,
            actor_unit=membership.unit,
            data={"merged": t.number},
            at=now,
        )
        pairs.append((target, absorbed))
    target.updated_at = now
    children = [t for t, _ in moving]
    _move(children, target, now)
    Assignment.objects.filter(ticket_id__in=[t.pk for t in children], is_active=True).update(
        is_active=False
    )
    Ticket.objects.filter(pk=target.pk).update(
        updated_at=now, event_count=target.event_count, last_event_hash=target.last_event_hash
    )
    history.save_many(pairs)


def _move(children: list[Ticket], target: Ticket, now) -> None:
    """One UPDATE of the tickets: the same status, parent and times for all, each its own
    chain head. On PostgreSQL the heads go as one JSON parameter (see batch.known_refs for
    why not a thousand placeholders); SQLite runs in process, where a prepared statement per
    row costs no round trip."""
    meta = Ticket._meta
    qn = connection.ops.quote_name
    col = {f: qn(meta.get_field(f).column) for f in (
        "id", "status", "merged_into", "closed_at", "updated_at", "event_count",
        "last_event_hash")}  # fmt: skip
    when = connection.ops.adapt_datetimefield_value(now)
    same = [Status.MERGED.value, target.pk, when, when]
    fixed = (
        f"{col['status']} = %s, {col['merged_into']} = %s, {col['closed_at']} = %s, "
        f"{col['updated_at']} = %s"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            heads = json.dumps([[t.pk, t.event_count, t.last_event_hash] for t in children])
            cursor.execute(
                f"UPDATE {qn(meta.db_table)} AS t SET {fixed}, "
                f"{col['event_count']} = v.n, {col['last_event_hash']} = v.h "
                "FROM (SELECT (r->>0)::bigint AS id, (r->>1)::integer AS n, r->>2 AS h "
                "FROM jsonb_array_elements(%s::jsonb) AS r) AS v "
                f"WHERE t.{col['id']} = v.id",
                [*same, heads],
            )
        else:
            cursor.executemany(
                f"UPDATE {qn(meta.db_table)} SET {fixed}, {col['event_count']} = %s, "
                f"{col['last_event_hash']} = %s WHERE {col['id']} = %s",
                [[*same, t.event_count, t.last_event_hash, t.pk] for t in children],
            )
