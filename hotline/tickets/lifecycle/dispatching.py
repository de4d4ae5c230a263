"""Dispatch transitions: dispatch (or transfer to a center below), sub-dispatch, acknowledge."""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from hotline.catalog.calendar import add_limit
from hotline.catalog.policies import deadlines
from hotline.errors import InvalidInput
from hotline.orgs.models import Unit

from .. import guards
from ..guards import at_center, in_unit, require_status, text
from ..models import Assignment, AssignmentRole, Status, Ticket
from ._base import DISPATCH_ROLES, LEAD_ROLES, _commit, _lead_assignment, _lock, _policy
from .approval import not_held

# Told of every dispatch to a unit, inside its transaction, after its event: routing records
# what it had suggested. Routing sits above tickets, so it registers itself at start-up
# (RoutingConfig.ready) rather than the lifecycle importing it.
_dispatch_recorders: list[Callable[..., object]] = []


def on_dispatch(recorder: Callable[..., object]) -> None:
    """Register `recorder(ticket=, to_unit=, by=)`; registering the same one twice is a no-op.

    A recorder must not stop a dispatch: it catches its own errors (in a savepoint)."""
    if recorder not in _dispatch_recorders:
        _dispatch_recorders.append(recorder)


def _check_target(t: Ticket, unit: Unit, field: str) -> Unit:
    unit = guards.active_unit(unit, field)
    if not t.center.region.covers(unit.region):
        raise InvalidInput(
            f"「{unit.name}」不在本中心辖区内",
            f"{field} is outside the center's region",
            field=field,
        )
    if unit.pk == t.center_id:
        raise InvalidInput("不能派给本中心", f"{field} cannot be the center itself", field=field)
    return unit


@transaction.atomic
def dispatch(*, ticket: Ticket, by, to_unit: Unit, assisting=(), note: str = "") -> Ticket:
    """Send the ticket to a lead unit (and assisting units), or on to a center below."""
    t = _lock(ticket)
    require_status(t, {Status.PENDING_DISPATCH}, "dispatch")
    m = at_center(by, t, DISPATCH_ROLES, "dispatch")
    to_unit = _check_target(t, to_unit, "to_unit")
    note = text(note, "note", "派单意见", min_len=0, max_len=1000)
    if to_unit.is_center:
        if assisting:
            raise InvalidInput(
                "转派下级中心时不能指定协办单位",
                "assisting units cannot go with a transfer",
                field="assisting",
            )
        prior_center = t.center
        t.center = to_unit
        _commit(
            t,
            action="transfer",
            from_status=t.status,
            actor=by,
            unit=m.unit,
            data={"from_center": prior_center.code, "to_center": to_unit.code, "note": note},
        )
        return t
    assisting = list(dict.fromkeys(assisting))
    for unit in assisting:
        _check_target(t, unit, "assisting")
        if unit.pk == to_unit.pk or unit.is_center:
            raise InvalidInput(
                "协办单位不能是主办单位或热线中心",
                "an assisting unit cannot be the lead unit or a center",
                field="assisting",
            )
    now = timezone.now()
    t.assignments.filter(is_active=True).update(is_active=False)
    Assignment.objects.bulk_create(
        [Assignment(ticket=t, unit=to_unit, role=AssignmentRole.LEAD, assigned_at=now)]
        + [
            Assignment(ticket=t, unit=u, role=AssignmentRole.ASSIST, assigned_at=now)
            for u in assisting
        ]
    )
    t.lead_unit = to_unit
    t.dispatched_at = now
    t.acknowledged_at = None
    t.ack_deadline, t.handle_deadline = deadlines(policy=_policy(t), start=now)
    t.status = Status.DISPATCHED
    _commit(
        t,
        action="dispatch",
        from_status=Status.PENDING_DISPATCH,
        actor=by,
        unit=m.unit,
        at=now,
        data={"lead": to_unit.code, "assisting": [u.code for u in assisting], "note": note},
    )
    for recorder in _dispatch_recorders:
        recorder(ticket=t, to_unit=to_unit, by=by)
    return t


@transaction.atomic
def sub_dispatch(*, ticket: Ticket, by, to_unit: Unit, note: str = "") -> Ticket:
    """The lead unit passes the ticket down to a unit below it (下派); it keeps watching."""
    t = _lock(ticket)
    require_status(t, {Status.IN_PROGRESS}, "sub_dispatch")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "sub_dispatch")
    not_held(t)  # a matter held for the leader is decided before the ticket moves down
    to_unit = guards.active_unit(to_unit, "to_unit")
    lead = t.lead_unit
    below = to_unit.is_within(lead) or (
        lead.region.covers(to_unit.region) and to_unit.region_id != lead.region_id
    )
    if to_unit.pk == lead.pk or to_unit.is_center or not below:
        raise InvalidInput(
            f"「{to_unit.name}」不是本单位的下级单位",
            "to_unit must be a unit below the lead unit",
            field="to_unit",
        )
    note = text(note, "note", "下派意见", min_len=0, max_len=1000)
    now = timezone.now()
    Assignment.objects.create(
        ticket=t,
        unit=to_unit,
        role=AssignmentRole.LEAD,
        parent=_lead_assignment(t),
        assigned_at=now,
    )
    t.lead_unit = to_unit
    t.acknowledged_at = None
    policy = _policy(t)
    t.ack_deadline = add_limit(now, policy.ack_value, policy.ack_unit)
    t.status = Status.DISPATCHED
    _commit(
        t,
        action="sub_dispatch",
        from_status=Status.IN_PROGRESS,
        actor=by,
        unit=m.unit,
        at=now,
        data={"from": lead.code, "to": to_unit.code, "note": note},
    )
    return t


@transaction.atomic
def acknowledge(*, ticket: Ticket, by) -> Ticket:
    """The lead unit signs for the ticket (签收); an assisting unit signs for its part."""
    t = _lock(ticket)
    lead_m = guards.scope.unit_membership(by, t.lead_unit, LEAD_ROLES)
    if lead_m is None:
        assist = (
            t.assignments.filter(
                is_active=True,
                role=AssignmentRole.ASSIST,
                acknowledged_at__isnull=True,
                unit__memberships__user=by,
                unit__memberships__role__in=LEAD_ROLES,
                unit__memberships__is_active=True,
            )
            .select_related("unit")
            .first()
        )
        if assist is not None and t.status in {Status.DISPATCHED, Status.IN_PROGRESS}:
            assist.acknowledged_at = timezone.now()
            assist.save(update_fields=["acknowledged_at"])
            _commit(
                t,
                action="acknowledge_assist",
                from_status=t.status,
                actor=by,
                unit=assist.unit,
                data={"unit": assist.unit.code},
            )
            return t
    require_status(t, {Status.DISPATCHED}, "acknowledge")
    m = in_unit(by, t.lead_unit, LEAD_ROLES, "acknowledge")
    now = timezone.now()
    t.acknowledged_at = now
    t.assignments.filter(is_active=True, unit=t.lead_unit).update(acknowledged_at=now)
    t.status = Status.IN_PROGRESS
    _commit(t, action="acknowledge", from_status=Status.DISPATCHED, actor=by, unit=m.unit, at=now)
    return t
