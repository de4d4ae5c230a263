"""Who sees what of the spot checks (the quality app's own scope, beside rule 2).

A checker sees the items of the centers they check; an agent sees their own scored items
and nothing else; a center's supervisors, analysts and administrators see the monthly figures of
their center and the centers below. Anything else is 404.
"""

from django.db.models import Q

from hotline.orgs import scope
from hotline.orgs.models import READONLY_ROLES, Role, Unit

from .models import Checker, ItemState, SampleItem

FIGURE_ROLES = {*READONLY_ROLES, Role.ADMIN}


def checker_centers(user) -> list[int]:
    """Centers the user checks: an appointment counts only while they still work at that
    center (a checker moved to another center or city no longer sees its items)."""
    if not getattr(user, "is_authenticated", False):
        return []
    works_at = {m.unit_id for m in scope.memberships(user) if m.unit.is_center}
    return list(
        Checker.objects.filter(
            user=user, is_active=True, center__is_active=True, center_id__in=works_at
        ).values_list("center_id", flat=True)
    )


def visible_items(user):
    """Items the user may open: those of centers they check, and their own once scored (an
    agent learns which of their tickets were drawn only with the result)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return SampleItem.objects.none()
    return SampleItem.objects.filter(
        Q(sample__center_id__in=checker_centers(user))
        | (Q(agent=user) & ~Q(state=ItemState.PENDING))
    ).select_related("sample__center", "ticket", "agent", "checker", "call")


def figure_centers(user):
    """Centers whose monthly figures the user may see."""
    ids = set(checker_centers(user))
    paths = [m.unit.path for m in scope.memberships(user)
             if m.role in FIGURE_ROLES and m.unit.is_center]  # fmt: skip
    centers = Unit.objects.filter(kind__in=["center", "subcenter"], is_active=True)
    if user.is_superuser:
        return centers
    q = Q(pk__in=ids)
    for path in paths:
        q |= Q(path__startswith=path)
    return centers.filter(q)


def is_agent(user) -> bool:
    return any(m.role in (Role.AGENT, Role.DISPATCHER) for m in scope.memberships(user))
