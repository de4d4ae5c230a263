"""Seeing a citizen's personal data in full, and the log of who did (hotline/audit/models.py).

Every list, page and export shows masked values (tickets.api.ticket_out); the full value is
this explicit action with a reason, allowed to working roles of the ticket's scope, and each
field seen is one row of the append-only log. The security auditor (安全审计员) reads that log
for the regions of their memberships; no other role reads it, the administrator included.
"""

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from hotline.errors import Forbidden, InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, UNIT_ROLES, Role
from hotline.tickets.api import sees_citizen
from hotline.tickets.models import Ticket

from .models import PersonalDataView, PersonalField

# The administrator administers; seeing citizens is not part of it (least exposure).
REVEAL_ROLES = (CENTER_ROLES - {Role.ADMIN}) | UNIT_ROLES
MIN_REASON, MAX_REASON = 2, 200


def may_reveal(user, ticket: Ticket) -> bool:
    """A working role (center or handling unit, not read-only ones) and, for a confidential
    citizen, the ticket's own center. The caller has checked the ticket is in scope."""
    if not any(m.role in REVEAL_ROLES for m in scope.memberships(user)):
        return False
    return sees_citizen(user, ticket)


def reveal(*, user, ticket: Ticket, fields: list[str], reason: str, address=None) -> dict:
    """The full values of `fields` of `ticket`'s citizen, each view logged; bad input or a
    refused role changes nothing."""
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise InvalidInput(
            f"查看理由应为 {MIN_REASON}–{MAX_REASON} 个字",
            f"reason must be {MIN_REASON} to {MAX_REASON} characters",
            field="reason",
        )
    allowed = set(PersonalField.values)
    chosen = list(dict.fromkeys(fields or []))
    if not chosen or not set(chosen) <= allowed:
        raise InvalidInput(
            f"字段应为 {', '.join(PersonalField.values)} 之一或多个",
            f"fields must be one or more of {', '.join(PersonalField.values)}",
            field="fields",
        )
    if not may_reveal(user, ticket):
        raise Forbidden("无权查看该诉求人的完整信息", "not allowed to see this citizen's data")
    now = timezone.now()
    with transaction.atomic():
        PersonalDataView.objects.bulk_create(
            [
                PersonalDataView(
                    at=now, user=user, ticket=ticket, ticket_number=ticket.number,
                    center_id=ticket.center_id, field=f, reason=reason, address=address,
                )
                for f in chosen
            ]
        )  # fmt: skip
    return {f: getattr(ticket, f) for f in chosen}


def is_auditor(user) -> bool:
    return any(m.role == Role.SECURITY_AUDITOR for m in scope.memberships(user))


def visible_log(user) -> QuerySet:
    """The log rows `user` may read: a security auditor's, of tickets whose center lies in
    the regions of their auditor memberships; nobody else's (the administrator included)."""
    q = Q(pk__in=[])
    for m in scope.memberships(user):
        if m.role == Role.SECURITY_AUDITOR:
            q |= Q(center__region__path__startswith=m.unit.region.path)
    return PersonalDataView.objects.filter(q).select_related("user", "partner", "center")
