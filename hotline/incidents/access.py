"""Who may do what with incidents (built on orgs.scope's memberships; out of scope = 404).

- Declare, write and approve 口径, group tickets, set overflow rules, enroll temporary agents:
  a center's managers (its administrators, role admin) for the center's own regions; the
  province's for every region. A manager of a center above counts too.
- See an incident (board, banner, 口径): anyone holding a role at a unit whose region overlaps
  the incident's regions (a county's agent sees the city's incident; the province sees all).
- Temporary agents hold no role anywhere: they see their own incident only (temporary.py).
"""

from hotline.errors import Forbidden, NotFound
from hotline.orgs import scope
from hotline.orgs.models import Region, Role, Unit

MANAGER_ROLES = {Role.ADMIN}


def manager_centers(user) -> list[Unit]:
    """The centers `user` manages."""
    return [m.unit for m in scope.memberships(user) if m.role in MANAGER_ROLES and m.unit.is_center]


def center_agent(user) -> bool:
    """An agent of a center: the incident board is in their navigation, empty or not."""
    return any(m.role == Role.AGENT and m.unit.is_center for m in scope.memberships(user))


def may_manage_center(user, center: Unit) -> bool:
    if user.is_superuser:
        return True
    return scope.center_membership(user, center, MANAGER_ROLES) is not None


def declaring_center(user, regions: list[Region], center: Unit | None = None) -> Unit:
    """The center `user` declares for: one they manage whose region covers every region."""
    candidates = [center] if center is not None else manager_centers(user)
    for c in candidates:
        if c is None or not c.is_center:
            continue
        if not (user.is_superuser or may_manage_center(user, c)):
            continue
        if all(c.region.covers(r) for r in regions):
            return c
    raise Forbidden(
        "只有热线中心的管理人员可以为本中心辖区宣布突发事件",
        "only a center's managers may declare an incident, for the center's own regions",
        field="regions",
    )


def overlaps(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def region_paths(user) -> list[str]:
    return [m.unit.region.path for m in scope.memberships(user)]


def sees(user, incident) -> bool:
    """May `user` see the incident (its banner, 口径 and board)?"""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    paths = region_paths(user)
    return any(overlaps(p, r.path) for p in paths for r in incident.regions.all())


def may_manage(user, incident) -> bool:
    return may_manage_center(user, incident.center)


def require_manager(user, incident) -> None:
    if not sees(user, incident):
        raise NotFound("突发事件不存在", "no such incident")
    if not may_manage(user, incident):
        raise Forbidden(
            "只有宣布该事件的中心的管理人员可以操作",
            "only the declaring center's managers may do this",
        )
