"""省级统筹: one province-wide pool of agents for the cities whose queue overflows.

A center's queue overflows when calls waiting or the longest wait pass its rule's threshold
(figures from calls.wallboard). The call platform then routes the overflow to a ready pool
agent of another center (`targets`); the call stays the caller's city's (its queue's center),
and the pool agent registers on that city's behalf: the ticket belongs to the caller's city
and the agent, who holds no role there, does not see it afterwards nor the city's other tickets
(no screen-pop history either), so a confidential citizen is not exposed beyond what
registration needs.
"""

from django.db import transaction
from django.utils import timezone

from hotline.calls import wallboard
from hotline.calls.models import AgentSession, AgentState, Call
from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import Membership, Role, Unit
from hotline.tickets import lifecycle
from hotline.tickets.registration import RegisterInput

from . import access
from .models import OverflowRegistration, OverflowRule, PoolMember


def set_rule(*, by, center: Unit, max_waiting: int, max_wait_seconds: int, is_active=True):
    """A center's overflow thresholds; its managers (or the province's) set them."""
    if not center.is_center or not access.may_manage_center(by, center):
        raise NotFound("中心不存在", "no such center", field="center")
    if max_waiting < 1 or max_wait_seconds < 1:
        raise InvalidInput("阈值须为正整数", "thresholds must be positive", field="max_waiting")
    rule, _ = OverflowRule.objects.update_or_create(
        center=center,
        defaults={
            "max_waiting": max_waiting,
            "max_wait_seconds": max_wait_seconds,
            "is_active": is_active,
        },
    )
    return rule


def mark_agent(*, by, user, active: bool = True) -> PoolMember:
    """Put an agent into the pool (or take them out): a manager of the agent's center."""
    home = next(
        (m.unit for m in scope.memberships(user) if m.role == Role.AGENT and m.unit.is_center),
        None,
    )
    if home is None:
        raise InvalidInput(
            "只有话务员可以加入统筹座席池", "only agents join the pool", field="user"
        )
    if not access.may_manage_center(by, home):
        raise Forbidden("只能标记本中心的话务员", "only your center's agents", field="user")
    member, _ = PoolMember.objects.update_or_create(
        user=user,
        defaults={
            "home_center": home,
            "is_active": active,
            "marked_by": by,
            "marked_at": timezone.now(),
        },
    )
    return member


def status(center: Unit, now=None) -> dict:
    """Is the center's queue over its threshold now? With the figures that decided it."""
    snap = wallboard.snapshot(center, now)
    rule = OverflowRule.objects.filter(center=center, is_active=True).first()
    over = rule is not None and (
        snap["waiting"] > rule.max_waiting or snap["longest_wait_seconds"] > rule.max_wait_seconds
    )
    return {
        "center_id": center.pk,
        "waiting": snap["waiting"],
        "longest_wait_seconds": snap["longest_wait_seconds"],
        "max_waiting": rule.max_waiting if rule else None,
        "max_wait_seconds": rule.max_wait_seconds if rule else None,
        "overflowing": over,
    }


def targets(center: Unit, now=None) -> list[dict]:
    """Where the platform sends the center's overflow now: ready pool agents of other
    centers (none when the queue is under its threshold)."""
    if not status(center, now)["overflowing"]:
        return []
    pool = PoolMember.objects.filter(is_active=True).exclude(home_center=center)
    sessions = (
        AgentSession.objects.filter(
            ended_at=None, state=AgentState.READY, user_id__in=pool.values("user_id")
        )
        .exclude(center__path__startswith=center.path)
        .select_related("seat", "center")
        .order_by("state_since")
    )
    return [
        {
            "user_id": s.user_id,
            "seat": s.seat.code,
            "center_id": s.center_id,
            "since": s.state_since,
        }
        for s in sessions
    ]


def overflow_call(user, call_id: int) -> Call:
    """The call a pool agent took for another center (their own seat's call, else 404)."""
    member = PoolMember.objects.filter(user=user, is_active=True).first()
    call = Call.objects.select_related("center__region").filter(pk=call_id, agent=user).first()
    if member is None or call is None or call.center_id == member.home_center_id:
        raise NotFound("通话不存在或不是溢出来电", "no such overflow call", field="call")
    return call


def register_for(*, by, call_id: int, data: RegisterInput):
    """A pool agent registers the caller's demand on behalf of the caller's city: the ticket
    is that city's (its center, its region), recorded with who took it and from where."""
    call = overflow_call(by, call_id)
    home = PoolMember.objects.get(user=by).home_center
    acting = Membership(user=by, unit=call.center, role=Role.AGENT)
    data.center_code = None
    with transaction.atomic():
        ticket, _ = lifecycle.register(by=by, data=data, acting=acting)
        OverflowRegistration.objects.create(
            ticket=ticket,
            agent=by,
            home_center=home,
            for_center=call.center,
            call=call,
            at=timezone.now(),
        )
    return ticket
