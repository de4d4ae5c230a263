"""Which transitions this user may take on a ticket, and taking one from a form.

The offer mirrors the checks of `tickets/lifecycle.py` so that a page shows only what the user
may do; the lifecycle still decides, and its refusal (HotlineError) is shown in Chinese.
"""

from django.db import transaction
from django.db.models import Q
from django.utils.html import format_html_join

from hotline.errors import InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import UNIT_ROLES, Role, Unit, UnitKind
from hotline.tickets import lifecycle
from hotline.tickets.lifecycle.attachments import IMAGES, checked
from hotline.tickets.models import (
    AssignmentRole,
    RequestKind,
    RequestState,
    Status,
    Ticket,
)

DISPATCH = {Role.DISPATCHER}
CENTER_KINDS = [UnitKind.CENTER, UnitKind.SUBCENTER]


def _lead_parent_unit(t: Ticket):
    lead = (
        t.assignments.filter(is_active=True, role=AssignmentRole.LEAD, unit=t.lead_unit)
        .select_related("parent__unit")
        .first()
    )
    return lead.parent.unit if lead is not None and lead.parent_id else None


def pending_request(t: Ticket, kind: str):
    return t.requests.filter(kind=kind, state=RequestState.PENDING).first()


def available(user, t: Ticket) -> set[str]:
    """The names of the transitions offered to `user` on `t` right now."""
    can = set()
    at_center = lambda roles: scope.center_membership(user, t.center, roles) is not None  # noqa: E731
    in_lead = scope.unit_membership(user, t.lead_unit, UNIT_ROLES) is not None
    s = t.status
    # While a matter waits for the unit leader, the unit's next steps wait with it.
    held = lifecycle.pending_approval(t) if in_lead else None
    if held is not None and scope.unit_membership(user, t.lead_unit, {Role.LEADER}):
        can.add("decide_leader")
    if held is not None and held.submitted_by_id == user.pk:
        can.add("withdraw_submission")
    if s == Status.PENDING_DISPATCH and at_center(DISPATCH):
        can.add("dispatch")
    if s == Status.REGISTERED and at_center({Role.AGENT, Role.DISPATCHER}):
        can.add("accept")
    if s == Status.DISPATCHED and in_lead:
        can |= {"acknowledge"} if held else {"acknowledge", "request_return"}
    if s in (Status.DISPATCHED, Status.IN_PROGRESS) and not in_lead:
        assist = t.assignments.filter(
            is_active=True,
            role=AssignmentRole.ASSIST,
            acknowledged_at__isnull=True,
            unit__memberships__user=user,
            unit__memberships__role__in=UNIT_ROLES,
            unit__memberships__is_active=True,
        )
        if assist.exists():
            can.add("acknowledge")
    if s == Status.IN_PROGRESS and in_lead and held is None:
        can |= {"sub_dispatch", "request_extension", "request_return", "reply"}
    if s == Status.RETURN_REQUESTED:
        parent = _lead_parent_unit(t)
        decider = (
            scope.unit_membership(user, parent, UNIT_ROLES) is not None
            if parent
            else at_center(DISPATCH)
        )
        if decider:
            can.add("decide_return")
    if pending_request(t, RequestKind.EXTENSION) and at_center(DISPATCH | {Role.SUPERVISOR}):
        can.add("decide_extension")
    if s == Status.REPLIED and at_center({Role.REVIEWER}):
        can.add("review")
    if s == Status.REVIEWED and at_center({Role.CALLBACK}):
        can.add("callback")
    if s == Status.CLOSED and at_center({Role.CALLBACK, Role.AGENT, Role.DISPATCHER}):
        can.add("reopen")
    if s not in (Status.MERGED, Status.INVALID) and lifecycle.may_attach(user, t):
        can.add("attach")
    if s not in (Status.CLOSED, Status.MERGED, Status.INVALID) and not t.is_supervised:
        region = t.region or t.center.region
        if scope.region_membership(user, region, {Role.SUPERVISOR}):
            can.add("supervise")
    return can


def dispatch_targets(center: Unit):
    """Units a dispatcher of `center` may send to, in tree order (the center excluded)."""
    return (
        Unit.objects.filter(is_active=True, region__path__startswith=center.region.path)
        .exclude(pk=center.pk)
        .order_by("path")
    )


def sub_dispatch_targets(lead: Unit):
    """Units below the lead unit, in the tree or in the regions below its own."""
    return (
        Unit.objects.filter(is_active=True)
        .filter(
            Q(path__startswith=lead.path)
            | (Q(region__path__startswith=lead.region.path) & ~Q(region_id=lead.region_id))
        )
        .exclude(pk=lead.pk)
        .exclude(kind__in=CENTER_KINDS)
        .order_by("path")
    )


def tree_options(units, root_depth=0):
    """The units as <option>s, indented by depth so that a plain <select> shows the tree and
    keeps type-ahead. Built once as one string: a province has thousands of units, and the
    page shows the list twice (lead and assisting)."""
    return format_html_join(
        "",
        '<option value="{}">{}{}</option>',
        (
            (u.code, "\u3000" * max(0, u.path.count("/") - 1 - root_depth), u.name)
            for u in units.only("code", "name", "path")
        ),
    )


def _unit(code, field) -> Unit:
    unit = Unit.objects.select_related("region").filter(code=code or "").first()
    if unit is None:
        raise InvalidInput("请选择单位", f"unknown unit {code!r}", field=field)
    return unit


def _int(value, field, label) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{label}须为整数", f"{field} must be an integer", field=field) from None


# Transitions whose only input is one text field of the form: action → that field.
TEXT_ACTIONS = {
    "accept": "note",
    "request_return": "reason",
    "reply": "body",
    "approve_return": "note",
    "reject_return": "reason",
    "approve_extension": "note",
    "reject_extension": "reason",
    "approve_reply": "note",
    "reject_reply": "reason",
    "close": "reason",
    "reopen": "reason",
    "supervise": "reason",
    "leader_approve": "note",
    "leader_reject": "reason",
}


def perform(user, t: Ticket, action: str, post, files=None) -> Ticket:
    """Call the one lifecycle function behind `action` with the form's fields."""
    g = post.get
    if action == "attach":
        lifecycle.attach(ticket=t, by=user, upload=(files or {}).get("file"))
        return t
    if action == "reply" and files and files.getlist("photo"):
        return _reply_with_photos(user, t, g("body", ""), files.getlist("photo"))
    if action in TEXT_ACTIONS:
        field = TEXT_ACTIONS[action]
        return getattr(lifecycle, action)(ticket=t, by=user, **{field: g(field, "")})
    if action == "dispatch":
        assisting = [_unit(c, "assisting") for c in post.getlist("assisting") if c]
        return lifecycle.dispatch(
            ticket=t,
            by=user,
            to_unit=_unit(g("to_unit"), "to_unit"),
            assisting=assisting,
            note=g("note", ""),
        )
    if action == "acknowledge":
        return lifecycle.acknowledge(ticket=t, by=user)
    if action == "withdraw_submission":
        return lifecycle.withdraw_submission(ticket=t, by=user)
    if action == "sub_dispatch":
        return lifecycle.sub_dispatch(
            ticket=t, by=user, to_unit=_unit(g("to_unit"), "to_unit"), note=g("note", "")
        )
    if action == "request_extension":
        return lifecycle.request_extension(
            ticket=t, by=user, days=_int(g("days"), "days", "延期天数"), reason=g("reason", "")
        )
    if action == "callback":
        resolved = {"yes": True, "no": False}.get(g("resolved", ""))
        return lifecycle.callback(
            ticket=t,
            by=user,
            satisfaction=g("satisfaction", ""),
            resolved=resolved,
            note=g("note", ""),
        )
    raise InvalidInput("未知操作", f"unknown action {action!r}", field="action")


def _reply_with_photos(user, t: Ticket, body: str, photos) -> Ticket:
    """A reply from the field with its photos: all of it or, on any bad photo, nothing."""
    for photo in photos:
        checked(photo, suffixes=IMAGES, field="photo")
    with transaction.atomic():
        done = lifecycle.reply(ticket=t, by=user, body=body)
        for photo in photos:
            lifecycle.attach(ticket=done, by=user, upload=photo)
    return done


ACTIONS = {
    "dispatch",
    "accept",
    "acknowledge",
    "sub_dispatch",
    "request_return",
    "request_extension",
    "reply",
    "approve_return",
    "reject_return",
    "approve_extension",
    "reject_extension",
    "approve_reply",
    "reject_reply",
    "callback",
    "close",
    "reopen",
    "supervise",
    "leader_approve",
    "leader_reject",
    "attach",
    "withdraw_submission",
}

# What a handler submits that may wait for the unit leader instead of taking effect.
SUBMITTED = {"reply", "request_extension", "request_return"}
