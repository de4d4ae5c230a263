"""Who may read the reports and the dashboard of a region (rule 2, via orgs/scope.py).

The staff of a hotline center (every center role) and the supervisors and analysts read the
reports of their center's region and of every region below it; a handling unit reads none.
A report counts the tickets of the region's subtree (the province's: every ticket), which is
part of what `scope.visible_tickets` gives those same memberships.
"""

from django.db.models import QuerySet

from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Region
from hotline.tickets.models import Ticket

REPORT_ROLES = CENTER_ROLES | READONLY_ROLES


def report_regions(user) -> list[Region]:
    """The top regions a user may report on (each with everything below it), widest first."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return list(Region.objects.filter(parent__isnull=True))
    found = {}
    for m in scope.memberships(user):
        if m.role in REPORT_ROLES:
            found[m.unit.region.pk] = m.unit.region
    # A region under another one the user already covers adds nothing.
    tops = [
        r for r in found.values() if not any(o.pk != r.pk and o.covers(r) for o in found.values())
    ]
    return sorted(tops, key=lambda r: (len(r.path), r.code))


def may_read(user, region: Region) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return scope.region_membership(user, region, REPORT_ROLES) is not None


def region_tickets(region: Region) -> QuerySet:
    """The tickets a report of `region` counts: all of its subtree's; the root's are all."""
    if region.parent_id is None:
        return Ticket.objects.all()
    return Ticket.objects.filter(
        region_id__in=Region.objects.filter(path__startswith=region.path).values("id")
    )
