"""A call's tickets: the one registered on it, or an earlier one it continued (补充/催办)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.errors import ErrorCode, HotlineError, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.tickets import lifecycle

from .access import visible_call
from .models import CallTicket, LinkKind


class AlreadyLinked(HotlineError):
    status = 409
    code = ErrorCode.DUPLICATE


def _visible_ticket(user, ticket_id: int):
    ticket = scope.visible_tickets(user).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound("工单不存在或无权查看", "no such ticket", field="ticket")
    return ticket


def _link(call, ticket, by, kind) -> CallTicket:
    try:
        with transaction.atomic():
            return CallTicket.objects.create(
                call=call, ticket=ticket, kind=kind, by=by, created_at=timezone.now()
            )
    except IntegrityError:
        raise AlreadyLinked(
            "该工单已关联此通话", "the ticket is already linked to this call", field="ticket"
        ) from None


def link_ticket(*, user, call_id: int, ticket_id: int) -> CallTicket:
    """Tie a ticket registered during the call to it (both must be in the user's scope)."""
    call = visible_call(user, call_id)
    ticket = _visible_ticket(user, ticket_id)
    return _link(call, ticket, user, LinkKind.REGISTERED)


def continue_ticket(*, user, call_id: int, ticket_id: int, kind: str, note: str) -> CallTicket:
    """补充 (kind "supplement") or 催办 ("urge") an existing ticket on this call: one
    lifecycle event on the ticket and the link, in one transaction."""
    if kind not in lifecycle.followup.FOLLOW_UPS:
        raise InvalidInput("类型须为补充或催办", "kind must be supplement or urge", field="kind")
    call = visible_call(user, call_id)
    ticket = _visible_ticket(user, ticket_id)
    with transaction.atomic():
        lifecycle.follow_up(
            ticket=ticket, by=user, kind=kind, note=note, call_ref=f"{call.platform_id}:{call.pk}"
        )
        return _link(call, ticket, user, LinkKind.CONTINUED)
