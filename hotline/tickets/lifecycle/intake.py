"""Intake transitions: register, resolve at intake, accept, mark invalid (并单: merging)."""

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hotline.orgs.models import Role

from .. import fastinsert, guards, history
from ..guards import at_center, require_status, text
from ..models import Status, Ticket
from ..registration import RegisterInput, build_ticket, number_ticket
from ._base import INTAKE_ROLES, _commit, _lock


def register_event(ticket, by, membership, screened):
    """The `register` event of a new ticket (one at a time or in a batch): the channel and
    what screening found."""
    return history.build_event(
        ticket,
        action="register",
        from_status="",
        actor=by,
        actor_unit=membership.unit,
        data={"channel": ticket.channel, **screened.event_data},
        at=ticket.created_at,
    )


def register(
    *, by, data: RegisterInput, acting=None, await_acceptance: bool = False
) -> tuple[Ticket, bool]:
    """Register a demand; returns (ticket, created). A known external reference returns the
    existing ticket (rule 6). A phone call taken by an agent awaits dispatch at once.

    `acting` registers on a center's behalf (see registration.build_ticket);
    `await_acceptance` keeps the ticket 待受理 until the center's staff accept it (the work
    of temporary agents is reviewed before it leaves the center).

    The unique (channel, external_ref) constraint detects a repeat, rather than a lookup
    first: repeats are rare and the lookup would cost every registration a query."""
    from hotline.screening import services as screening  # screening imports tickets

    status = Status.REGISTERED if await_acceptance else None
    ticket, membership = build_ticket(by=by, data=data, status=status, acting=acting)
    # Screening first: a red risk makes the ticket 特急 before any deadline is computed.
    screened = screening.screen_new(ticket)
    try:
        _save_new(ticket, screened, lambda: register_event(ticket, by, membership, screened))
    except IntegrityError:
        if data.external_ref:
            found = Ticket.objects.filter(
                channel=data.channel, external_ref=data.external_ref
            ).first()
            if found is not None:
                return found, False
        raise
    return ticket, True


def resolve_at_intake(*, by, data: RegisterInput, reply: str, article: str = "") -> Ticket:
    """Register a demand the agent answered on the phone (直接办结), closed at once."""
    reply = text(reply, "reply", "答复内容", max_len=5000)
    if data.external_ref:
        found = Ticket.objects.filter(channel=data.channel, external_ref=data.external_ref).first()
        if found is not None:
            return found
    ticket, membership = build_ticket(by=by, data=data, status=Status.CLOSED)
    if membership.role != Role.AGENT:
        raise guards.forbidden("resolve_at_intake", {Role.AGENT}, "热线中心")
    from hotline.screening import services as screening  # screening imports tickets

    screened = screening.screen_new(ticket)
    ticket.reply = reply
    ticket.closed_at = ticket.replied_at = ticket.created_at
    _save_new(
        ticket,
        screened,
        lambda: history.build_event(
            ticket,
            action="resolve_at_intake",
            from_status="",
            actor=by,
            actor_unit=membership.unit,
            data={
                "channel": ticket.channel,
                "reply": reply,
                "article": article,
                **screened.event_data,
            },
            at=ticket.created_at,
        ),
    )
    return ticket


def _save_new(ticket: Ticket, screened, first_event) -> None:
    """The number (on PostgreSQL with the rows' ids, in one round trip of its own before the
    registration's transaction; on SQLite inside it: see registration.number_ticket), then
    one transaction: the ticket, its first event and its outbox row, with screening's
    duplicate index and the caller's earlier demands (on PostgreSQL all in one round trip),
    then what else screening records (a risk, a repeat: rare). The event is built once the
    number is known (the number is hashed), and before the ticket's INSERT so that the
    ticket row goes in once, with its chain head.

    PostgreSQL outside a caller's transaction (the API's registration): the caller's earlier
    demands are read in the number's round trip, and a demand that screening records nothing
    more for (no risk, not a repeat: nearly all) is written in one more round trip as one
    statement (fastinsert.insert_as_one: its INSERTs as data-modifying CTEs), which
    PostgreSQL runs as one transaction: all commit, or an error rolls all back. Two round
    trips instead of four."""
    from hotline.screening import services as screening  # screening imports tickets

    own_transaction = connection.vendor == "postgresql"
    at_once = own_transaction and connection.get_autocommit() and not connection.in_atomic_block
    if at_once:
        event_id, outbox_id, earlier = number_ticket(
            ticket, then=screening.caller_statement(ticket, screened)
        )
        index = screening.plain_new(ticket, screened, earlier)
        if index is not False:
            event = _first_event(ticket, first_event, event_id)
            outbox = history.build_outbox(ticket, event, outbox_id)
            fastinsert.insert_as_one([ticket, event, outbox], then=index)
            return
        ids = event_id, outbox_id
    else:
        ids = number_ticket(ticket) if own_transaction else None
    with transaction.atomic():
        if not own_transaction:
            number_ticket(ticket)
        if ids is None:
            event = first_event()
            fastinsert.insert(ticket)
            history.save(ticket, event)
            screening.record_new(ticket, screened)
        else:
            event = _first_event(ticket, first_event, ids[0])
            outbox = history.build_outbox(ticket, event, ids[1])
            rows = fastinsert.insert_together(
                [ticket, event, outbox], then=screening.index_statement(ticket, screened)
            )
            screening.record_new(ticket, screened, indexed=rows if rows is not None else [])


def _first_event(ticket: Ticket, first_event, pk: int):
    event = first_event()
    event.pk = pk
    event.ticket_id = ticket.pk
    return event


@transaction.atomic
def accept(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """Accept a ticket that arrived from the web, a sub-center or Open311."""
    t = _lock(ticket)
    require_status(t, {Status.REGISTERED}, "accept")
    m = at_center(by, t, INTAKE_ROLES, "accept")
    t.status = Status.PENDING_DISPATCH
    _commit(
        t,
        action="accept",
        from_status=Status.REGISTERED,
        actor=by,
        unit=m.unit,
        data={"note": note},
    )
    return t


@transaction.atomic
def mark_invalid(*, ticket: Ticket, by, reason: str) -> Ticket:
    """Mark a prank, abuse or non-demand as invalid."""
    t = _lock(ticket)
    require_status(t, {Status.REGISTERED, Status.PENDING_DISPATCH}, "mark_invalid")
    m = at_center(by, t, INTAKE_ROLES, "mark_invalid")
    reason = text(reason, "reason", "原因", min_len=2, max_len=1000)
    prior = t.status
    t.status = Status.INVALID
    t.closed_at = timezone.now()
    _commit(
        t, action="mark_invalid", from_status=prior, actor=by, unit=m.unit, data={"reason": reason}
    )
    return t
