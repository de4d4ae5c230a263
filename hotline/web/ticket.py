"""The ticket page: the citizen's demand, the whole timeline, and the user's own actions."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from hotline.errors import HotlineError
from hotline.exchange import police_alerts
from hotline.orgs import scope
from hotline.tickets import lifecycle
from hotline.tickets.api import ticket_out
from hotline.tickets.api_actions import download_response
from hotline.tickets.guards import ACTION_NAMES
from hotline.tickets.models import (
    AssignmentRole,
    Attachment,
    RequestKind,
    Satisfaction,
    Status,
)
from hotline.topics import services as topics

from . import actions, advice, pickers
from .common import is_htmx, visible_ticket
from .listing import deadline_view

# The event data worth showing in the timeline, with its Chinese label.
EVENT_FIELDS = [
    ("reason", "理由"),
    ("note", "意见"),
    ("body", "答复"),
    ("reply", "答复"),
    ("days", "延期工作日"),
    ("satisfaction", "满意度"),
    ("article", "引用知识"),
    ("lead", "主办单位"),
    ("assisting", "协办单位"),
    ("to", "下派至"),
    ("to_center", "转派至"),
]
SATISFACTION = dict(Satisfaction.choices)


def _event_details(e, unit_names):
    out = []
    for key, label in EVENT_FIELDS:
        value = e.data.get(key)
        if value in (None, "", []):
            continue
        if key == "satisfaction":
            value = SATISFACTION.get(value, value)
        elif key in ("lead", "to", "to_center"):
            value = unit_names.get(value, value)
        elif key == "assisting":
            value = "、".join(unit_names.get(c, c) for c in value)
        out.append((label, value))
    if e.data.get("reopened"):
        out.append(("结果", "不满意，已重办"))
    return out


def timeline(t):
    from hotline.orgs.models import Unit

    events = list(t.events.select_related("actor", "actor_unit").order_by("seq"))
    codes = set()
    for e in events:
        for key in ("lead", "to", "to_center"):
            if e.data.get(key):
                codes.add(e.data[key])
        codes.update(e.data.get("assisting") or [])
    names = dict(Unit.objects.filter(code__in=codes).values_list("code", "name"))
    return [
        {
            "seq": e.seq,
            "label": ACTION_NAMES.get(e.action, e.action),
            "action": e.action,
            "to_status": Status(e.to_status).label if e.to_status else "",
            "actor": str(e.actor) if e.actor else "系统",
            "unit": e.actor_unit.name if e.actor_unit else "",
            "at": e.created_at,
            "details": _event_details(e, names),
        }
        for e in events
    ]


def context(request, t, *, message="", error=""):
    user = request.user
    can = actions.available(user, t)
    ctx = {
        **deadline_view(t),
        "t": t,
        "out": ticket_out(user, t),
        "timeline": timeline(t),
        "can": can,
        "assisting": [
            a.unit
            for a in t.assignments.filter(is_active=True, role=AssignmentRole.ASSIST)
            .select_related("unit")
            .order_by("id")
        ],
        "requests": t.requests.select_related("unit").order_by("-requested_at"),
        "held": lifecycle.pending_approval(t),
        "attachments": t.attachments.select_related("uploaded_by", "unit").order_by("id"),
        "extension": actions.pending_request(t, RequestKind.EXTENSION),
        "return_request": actions.pending_request(t, RequestKind.RETURN),
        "satisfactions": Satisfaction.choices,
        # The page is scope-checked (rule 2): marks and topics show only where the ticket is.
        "citizen_marks": topics.marks_of(t),
        "ticket_topics": topics.topic_names(t),
        # 110 linkage: hand-overs to the police and their steps, or the police demand.
        "police": police_alerts.ticket_linkage(t, user),
        "message": message,
        "error": error,
    }
    if "dispatch" in can:
        ctx["targets"] = actions.tree_options(
            actions.dispatch_targets(t.center), t.center.path.count("/") - 1
        )
        # The suggested lead unit comes preselected; the dispatcher only confirms (issue 17).
        ctx["advice"] = advice.unit_suggestion(t)
        if ctx["advice"]:
            ctx["targets"] = advice.preselect(ctx["targets"], ctx["advice"]["code"])
        # A center can take the ticket over (transfer), never assist.
        ctx["assist_targets"] = actions.tree_options(
            actions.dispatch_targets(t.center).exclude(kind__in=actions.CENTER_KINDS),
            t.center.path.count("/") - 1,
        )
    if "sub_dispatch" in can:
        ctx["sub_targets"] = actions.tree_options(
            actions.sub_dispatch_targets(t.lead_unit), t.lead_unit.path.count("/")
        )
    return ctx


@login_required
def detail(request, number):
    t = visible_ticket(request, number)
    return render(request, "web/ticket.html", context(request, t))


@require_POST
@login_required
def act(request, number, action):
    """One transition from the ticket page; a refusal shows in Chinese and changes nothing."""
    if action not in actions.ACTIONS:
        raise Http404
    t = visible_ticket(request, number)
    message = error = ""
    try:
        done = actions.perform(request.user, t, action, request.POST, request.FILES)
        held = action in actions.SUBMITTED and lifecycle.pending_approval(done)
        message = "已提交分管领导审批。" if held else f"已{ACTION_NAMES[action]}。"
    except HotlineError as exc:
        error = exc.message_zh
    # The user may no longer see the ticket (returned, sent to another unit).
    if scope.visible_tickets(request.user).filter(pk=t.pk).exists():
        t = visible_ticket(request, number)
        ctx = context(request, t, message=message, error=error)
        if error:  # a refused form comes back with what was typed in it
            ctx.update(typed=request.POST, typed_action=action)
    else:
        ctx = {"t": t, "gone": True, "message": message, "error": error}
    template = "web/partials/ticket_body.html" if is_htmx(request) else "web/ticket.html"
    return render(request, template, ctx, status=200 if not error or is_htmx(request) else 400)


@login_required
def printable(request, number):
    """工单打印: the formal sheet a unit files with its paperwork, masked as on screen."""
    t = visible_ticket(request, number)
    ctx = {
        **deadline_view(t),
        "t": t,
        "out": ticket_out(request.user, t),
        "timeline": timeline(t),
        "assisting": [
            a.unit
            for a in t.assignments.filter(is_active=True, role=AssignmentRole.ASSIST)
            .select_related("unit")
            .order_by("id")
        ],
        "attachments": t.attachments.order_by("id"),
        "printed_at": timezone.now(),
    }
    return render(request, "web/ticket_print.html", ctx)


@login_required
def attachment(request, number, file_id):
    """One attachment of a ticket the user may see; anything else is 404 (rule 2)."""
    t = visible_ticket(request, number)
    a = get_object_or_404(Attachment, ticket=t, pk=file_id)
    return download_response(a)


UNIT_LIMIT = 20


@require_GET
@login_required
def unit_search(request, number):
    """The lead units the dispatcher may send this ticket to, found by name or pinyin
    initials (鼓楼区住建局 → glqzjj), as options of the dispatch form's unit picker."""
    t = visible_ticket(request, number)
    if "dispatch" not in actions.available(request.user, t):
        raise Http404
    q = request.GET.get("unit_q", "").strip()[:40]
    rows = pickers.units_matching(q, actions.dispatch_targets(t.center), UNIT_LIMIT) if q else []
    return render(request, "web/partials/unit_options.html", {"rows": rows})
