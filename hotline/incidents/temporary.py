"""Temporary agents (机关干部, volunteers) enrolled for one incident in minutes.

They hold no role in any unit, so orgs.scope shows them no ticket and the knowledge base is
closed to them; their own page shows the incident's approved 口径 and the tickets they
registered. What they register waits at the center (待受理) until its own staff accept it:
their work is reviewed before it leaves the center.
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.errors import IllegalTransition, InvalidInput, NotFound
from hotline.orgs.models import Membership, Role, User
from hotline.tickets import lifecycle
from hotline.tickets.models import Ticket
from hotline.tickets.registration import PHONE_RE, RegisterInput

from . import access
from .models import IncidentState, TemporaryAgent


def enroll(*, by, incident, username: str, full_name: str, phone: str = ""):
    """A new temporary agent of `incident`'s center; returns (agent, one-time password)."""
    access.require_manager(by, incident)
    if incident.state != IncidentState.ACTIVE:
        raise IllegalTransition("突发事件已结束", "the incident is closed", field="incident")
    username = (username or "").strip()
    full_name = (full_name or "").strip()
    if not 3 <= len(username) <= 40 or not username.isascii():
        raise InvalidInput("账号应为 3–40 个英文字母或数字", "bad username", field="username")
    if not full_name:
        raise InvalidInput("请填写姓名", "full_name is required", field="full_name")
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput("手机号格式不正确", "bad phone", field="phone")
    password = secrets.token_urlsafe(12)
    try:
        with transaction.atomic():
            user = User(username=username, full_name=full_name, phone=phone)
            user.set_password(password)
            user.save()
            agent = TemporaryAgent.objects.create(
                user=user,
                incident=incident,
                center=incident.center,
                enrolled_by=by,
                enrolled_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise InvalidInput("账号已存在", "username taken", field="username") from exc
    return agent, password


def of(user) -> TemporaryAgent | None:
    """The user's active temporary enrolment in a running incident, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        TemporaryAgent.objects.select_related("incident", "center__region")
        .filter(user=user, is_active=True, incident__state=IncidentState.ACTIVE)
        .first()
    )


def require(user) -> TemporaryAgent:
    agent = of(user)
    if agent is None:
        raise NotFound("页面不存在", "not a temporary agent")
    return agent


def register(*, by, data: RegisterInput) -> Ticket:
    """Register a demand for the agent's center; it waits there to be accepted (reviewed)."""
    agent = require(by)
    acting = Membership(user=by, unit=agent.center, role=Role.AGENT)
    data.center_code = None
    data.external_ref = None
    ticket, _ = lifecycle.register(by=by, data=data, acting=acting, await_acceptance=True)
    return ticket


def own_tickets(user):
    """The only tickets a temporary agent ever sees: the ones they registered."""
    agent = require(user)
    return Ticket.objects.filter(registered_by=agent.user).order_by("-id")


def revoke(*, by, agent: TemporaryAgent) -> TemporaryAgent:
    access.require_manager(by, agent.incident)
    agent.is_active = False
    agent.user.is_active = False
    with transaction.atomic():
        agent.save(update_fields=["is_active"])
        agent.user.save(update_fields=["is_active"])
    return agent
