"""Who may listen to which topic: the stream never takes a topic on the client's word.

Topics name audiences: "agent:<user id>" (that agent's desktop: screen pops), "center:<unit
id>" (a hotline center's wallboard) and "province" (the provincial wallboard). An agent hears
only their own topic; a center's staff hear their center and the centers below it; the staff of
the province's own center (the root region) hear "province".
"""

from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Role, Unit

PROVINCE = "province"
# A wallboard shows every call and agent of a center: its staff but not its agents, who see
# only their own calls (as hotline.calls.access decides for the calls themselves).
WALLBOARD_ROLES = (CENTER_ROLES | READONLY_ROLES) - {Role.AGENT}


def agent_topic(user_id: int) -> str:
    return f"agent:{user_id}"


def center_topic(unit_id: int) -> str:
    return f"center:{unit_id}"


def _is_agent(user) -> bool:
    return any(m.role == Role.AGENT for m in scope.memberships(user))


def _wallboard_centers(user) -> list[Unit]:
    return [
        m.unit for m in scope.memberships(user) if m.role in WALLBOARD_ROLES and m.unit.is_center
    ]


def sees_province(user) -> bool:
    """Staff of the provincial center (a center of the root region)."""
    if user.is_superuser:
        return True
    return any(u.region.parent_id is None for u in _wallboard_centers(user))


def may_watch_center(user, center: Unit) -> bool:
    """The center's wallboard: its own staff, and the staff of a center above it."""
    if not center.is_center:
        return False
    if user.is_superuser:
        return True
    return scope.center_membership(user, center, WALLBOARD_ROLES) is not None


def default_topics(user) -> list[str]:
    """Everything the user hears when the page names no topic."""
    topics = [agent_topic(user.pk)] if _is_agent(user) else []
    topics += [center_topic(u.pk) for u in _wallboard_centers(user)]
    if sees_province(user):
        topics.append(PROVINCE)
    return list(dict.fromkeys(topics))


def allowed(user, topic: str) -> bool:
    """May `user` listen to `topic`? Unknown or malformed topics are never allowed."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if topic == PROVINCE:
        return sees_province(user)
    kind, _, ident = topic.partition(":")
    if not ident.isdigit():
        return False
    if kind == "agent":
        return int(ident) == user.pk and _is_agent(user)
    if kind == "center":
        center = Unit.objects.filter(pk=int(ident), is_active=True).first()
        return center is not None and may_watch_center(user, center)
    return False
