"""Which calls a user may see (rule 2 for calls; built on orgs.scope's memberships).

An agent sees the calls they took; the other people of a hotline center (dispatchers,
reviewers, callback agents, supervisors, analysts, administrators) see every call of their
center and the centers below it, so the province's see all. Handling units see no calls.
Outside the scope a call does not exist (404), and neither does its recording.
"""

from django.db.models import Q, QuerySet

from hotline.errors import NotFound
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Role, Unit

from .models import Call

CENTER_WIDE = (CENTER_ROLES | READONLY_ROLES) - {Role.AGENT}


def center_paths(user, roles=CENTER_WIDE) -> list[str]:
    """The tree paths of the centers where `user` holds one of `roles`."""
    return [m.unit.path for m in scope.memberships(user) if m.role in roles and m.unit.is_center]


def visible_calls(user) -> QuerySet:
    """Every call `user` may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Call.objects.none()
    if user.is_superuser:
        return Call.objects.all()
    condition = Q(pk__in=[])
    for path in center_paths(user):
        condition |= Q(center__in=Unit.objects.filter(path__startswith=path))
    if any(m.role == Role.AGENT for m in scope.memberships(user)):
        condition |= Q(agent=user)
    return Call.objects.filter(condition)


def visible_call(user, call_id: int) -> Call:
    """The call, or NotFound when `user` may not see it."""
    call = visible_calls(user).filter(pk=call_id).first()
    if call is None:
        raise NotFound("通话不存在或无权查看", "no such call")
    return call
