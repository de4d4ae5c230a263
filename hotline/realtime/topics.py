"""Who may listen to which topic: the stream never takes a topic on the client's word.

Topics name audiences: "agent:<user id>" (that agent's desktop: screen pops), "desk:<unit id>"
(the desktops of every agent of a unit: what all of them are told at once, such as a new 口径),
"center:<unit id>" (a hotline center's wallboard) and "province" (the provincial wallboard). An
agent hears their own topic and their units' desks; a center's staff hear their center and the
centers below it; the staff of the province's own center (the root region) hear "province".
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


def desk_topic(unit_id: int) -> str:
    return f"desk:{unit_id}"


def _agent_units(user) -> list[int]:
    return [m.unit_id for m in scope.memberships(user) if m.role == Role.AGENT]


def _is_agent(user) -> bool:
    return bool(_agent_units(user))


def desktop_topics(user) -> list[str]:
    """What an agent's desktop listens to: the agent's own topic and the desks of the agent's
    units (one message there reaches every agent of the unit)."""
    if not _is_agent(user):
        return []
    units = dict.fromkeys(_agent_units(user))
    return [agent_topic(user.pk), *(desk_topic(u) for u in units)]


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
    topics = desktop_topics(user)
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
    if kind == "desk":
        return int(ident) in _agent_units(user)
    if kind == "center":
        center = Unit.objects.filter(pk=int(ident), is_active=True).first()
        return center is not None and may_watch_center(user, center)
    return False
