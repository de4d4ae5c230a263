"""Dispatcher queue (派单): waiting tickets, returns and extensions to decide, bulk dispatch."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from hotline.errors import HotlineError
from hotline.orgs.models import Role, Unit
from hotline.tickets import lifecycle

from . import actions, advice, queues
from .common import is_htmx, role_required
from .listing import capped_count, paginate, rows_with_deadlines

SORTS = {"urgency": "紧急程度", "deadline": "办理时限", "created": "受理时间"}


def _context(request, tab, order, page_no, **extra):
    if tab not in queues.DISPATCH_TABS:
        raise Http404
    if order not in SORTS:
        order = "urgency"
    ms = request.role_memberships
    center = ms[0].unit
    qs = queues.sort(queues.dispatch_queue(request.user, ms, tab), order)
    page = paginate(qs, page_no)
    rows = rows_with_deadlines(page.object_list)
    if tab == "pending":
        suggested = advice.suggestions([r["t"] for r in rows])
        for r in rows:
            r["advice"] = suggested.get(r["t"].number)
    tabs = [
        (key, label, capped_count(queues.dispatch_queue(request.user, ms, key)))
        for key, (label, _) in queues.DISPATCH_TABS.items()
    ]
    return {
        "tab": tab,
        "order": order,
        "sorts": SORTS,
        "tabs": tabs,
        "page": page,
        "rows": rows,
        "high_confidence": advice.HIGH_CONFIDENCE,
        "targets": actions.tree_options(
            actions.dispatch_targets(center), center.path.count("/") - 1
        ),
        "assist_targets": actions.tree_options(
            actions.dispatch_targets(center).exclude(kind__in=actions.CENTER_KINDS),
            center.path.count("/") - 1,
        ),
        "center": center,
        **extra,
    }


@role_required(Role.DISPATCHER)
def queue(request):
    ctx = _context(
        request,
        request.GET.get("tab", "pending"),
        request.GET.get("sort", "urgency"),
        request.GET.get("page", 1),
    )
    template = "web/partials/dispatch_table.html" if is_htmx(request) else "web/dispatch.html"
    return render(request, template, ctx)


@require_POST
@role_required(Role.DISPATCHER)
def bulk(request):
    """Dispatch the selected tickets to one lead unit; each ticket succeeds or fails alone."""
    numbers = request.POST.getlist("numbers")
    done, failed = [], []
    lead = Unit.objects.select_related("region").filter(code=request.POST.get("to_unit")).first()
    assisting = list(
        Unit.objects.select_related("region").filter(code__in=request.POST.getlist("assisting"))
    )
    if not numbers:
        failed.append(("—", "请先勾选要派发的工单"))
    elif lead is None:
        failed.append(("—", "请选择主办单位"))
    else:
        visible = {
            t.number: t
            for t in queues.dispatch_queue(
                request.user, request.role_memberships, "pending"
            ).filter(number__in=numbers)
        }
        for number in numbers:
            t = visible.get(number)
            if t is None:
                failed.append((number, "工单不存在或不在待派单状态"))
                continue
            try:
                lifecycle.dispatch(ticket=t, by=request.user, to_unit=lead, assisting=assisting)
                done.append(number)
            except HotlineError as exc:
                failed.append((number, exc.message_zh))
    return _outcome(request, done, failed)


@require_POST
@role_required(Role.DISPATCHER)
def accept(request):
    """Accept the suggested lead unit: one ticket (`accept`), or every selected ticket whose
    suggestion is at least HIGH_CONFIDENCE. The suggestion is computed again here, never taken
    from the form, and lifecycle.dispatch records that the advice was followed."""
    one = request.POST.get("accept")
    numbers = [one] if one else request.POST.getlist("numbers")
    done, failed = [], []
    visible = {
        t.number: t
        for t in queues.dispatch_queue(request.user, request.role_memberships, "pending").filter(
            number__in=numbers
        )
    }
    if not numbers:
        failed.append(("—", "请先勾选要派发的工单"))
    for number in numbers:
        t = visible.get(number)
        s = advice.unit_suggestion(t) if t is not None else None
        if t is None:
            failed.append((number, "工单不存在或不在待派单状态"))
        elif s is None:
            failed.append((number, "没有建议单位，请人工选择"))
        elif not one and s["confidence"] < advice.HIGH_CONFIDENCE:
            failed.append(
                (
                    number,
                    f"建议置信度 {s['confidence']}% 低于 {advice.HIGH_CONFIDENCE}%，请人工选择",
                )
            )
        else:
            try:
                lead = Unit.objects.select_related("region").get(code=s["code"])
                lifecycle.dispatch(ticket=t, by=request.user, to_unit=lead)
                done.append(number)
            except HotlineError as exc:
                failed.append((number, exc.message_zh))
    return _outcome(request, done, failed)


def _outcome(request, done, failed):
    """The pending queue again, with what was dispatched and what failed, one line each."""
    ctx = _context(
        request, "pending", request.POST.get("sort", "urgency"), 1, done=done, failed=failed
    )
    template = "web/partials/dispatch_table.html" if is_htmx(request) else "web/dispatch.html"
    return render(request, template, ctx, status=200 if done or is_htmx(request) else 400)
