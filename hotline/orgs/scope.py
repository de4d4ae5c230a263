"""Rule 2: what a user may see is decided here, and only here.

A hotline center (and its supervisors and analysts, read-only) sees every ticket of its region
and the regions below, and every ticket it or a center below it holds. A handling unit sees the
tickets assigned to it or to a unit below it, as lead or assisting unit. Nobody else sees
anything; outside the scope a ticket does not exist (404, not 403).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import CENTER_ROLES, READONLY_ROLES, UNIT_ROLES, Membership, Region, Unit


def memberships(user) -> list[Membership]:
    """The user's active memberships with unit and region, cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_hotline_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True, unit__is_active=True)
            .select_related("unit", "unit__region")
            .order_by("id")
        )
        user._hotline_memberships = cached
    return cached


def _is_root(region: Region) -> bool:
    return region.parent_id is None


def visible_tickets(user) -> QuerySet:
    """Every ticket `user` may see; every list, detail, export and transition starts here."""
    from hotline.tickets.models import Assignment, Ticket

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Ticket.objects.none()
    if user.is_superuser:
        return Ticket.objects.all()

    region_paths: set[str] = set()
    center_paths: set[str] = set()
    unit_paths: set[str] = set()
    for m in memberships(user):
        if m.role in CENTER_ROLES or m.role in READONLY_ROLES:
            if _is_root(m.unit.region):
                return Ticket.objects.all()
            region_paths.add(m.unit.region.path)
            center_paths.add(m.unit.path)
        if m.role in UNIT_ROLES:
            unit_paths.add(m.unit.path)

    condition = Q(pk__in=[])
    for path in region_paths:
        condition |= Q(region_id__in=Region.objects.filter(path__startswith=path).values("id"))
    for path in center_paths:
        condition |= Q(center_id__in=Unit.objects.filter(path__startswith=path).values("id"))
    if unit_paths:
        unit_q = Q()
        for path in unit_paths:
            unit_q |= Q(unit__path__startswith=path)
        condition |= Q(
            Exists(
                Assignment.objects.filter(unit_q, ticket=OuterRef("pk"), is_active=True).values(
                    "id"
                )
            )
        )
    return Ticket.objects.filter(condition)


def is_visible(user, ticket) -> bool:
    return visible_tickets(user).filter(pk=ticket.pk).exists()


def center_membership(user, center: Unit, roles) -> Membership | None:
    """A membership with one of `roles` at `center` or at a center above it."""
    for m in memberships(user):
        if m.role in roles and m.unit.is_center and center.is_within(m.unit):
            return m
    return None


def unit_membership(user, unit: Unit | None, roles) -> Membership | None:
    """A membership with one of `roles` in exactly `unit`."""
    if unit is None:
        return None
    for m in memberships(user):
        if m.role in roles and m.unit_id == unit.pk:
            return m
    return None


def region_membership(user, region: Region | None, roles) -> Membership | None:
    """A membership with one of `roles` whose unit's region covers `region`."""
    for m in memberships(user):
        if m.role in roles and (region is None or m.unit.region.covers(region)):
            return m
    return None
