"""回拨 queue page, and click-to-dial from it and from a ticket (回访).

Items come from hotline.calls.callbacks (abandoned calls and 留言, each with a time limit);
the agent takes one, dials with one click (the platform places the call and reports back as
CTI events) and records the outcome. Every change goes through hotline.calls.services.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hotline.crypto import mask_phone
from hotline.errors import HotlineError, NotFound
from hotline.orgs import scope
from hotline.web.common import role_required

from . import services
from .callbacks import CALLBACK_ROLES, FINAL, queue
from .models import CallbackStatus

QUEUE_LIMIT = 200
OUTCOMES = [(s, CallbackStatus(s).label) for s in (CallbackStatus.DONE, CallbackStatus.UNREACHABLE)]


@role_required(*CALLBACK_ROLES)
def callback_queue(request):
    show = request.GET.get("show", "")
    status = show if show in FINAL else None
    items = list(queue(request.user, status=status)[:QUEUE_LIMIT])
    return render(
        request,
        "calls/callbacks.html",
        {"items": items, "outcomes": OUTCOMES, "show": show, "finished": status is not None},
    )


def _back(request, *, ok=None, error=None, default="calls:callbacks"):
    if error is not None:
        messages.error(request, error.message_zh)
    elif ok:
        messages.success(request, ok)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


def _item_id(value: str) -> int:
    if not value.isdigit():
        raise Http404
    return int(value)


@require_POST
@role_required(*CALLBACK_ROLES)
def take(request, item_id):
    try:
        item = services.take_callback(user=request.user, item_id=item_id)
    except NotFound:
        raise Http404 from None
    except HotlineError as exc:
        return _back(request, error=exc)
    return _back(request, ok=f"已领取 {mask_phone(item.number)} 的回拨")


@require_POST
@role_required(*CALLBACK_ROLES)
def dial(request, item_id):
    """Take the item and ask the platform to connect the agent's seat to the citizen."""
    try:
        item = services.take_callback(user=request.user, item_id=item_id)
        services.click_to_dial(
            user=request.user, number=item.number, purpose="callback", callback=item
        )
    except NotFound as exc:
        if exc.field is None:
            raise Http404 from None
        return _back(request, error=exc)
    except HotlineError as exc:
        return _back(request, error=exc)
    return _back(request, ok=f"正在呼叫 {mask_phone(item.number)}，请接听座席话机")


@require_POST
@role_required(*CALLBACK_ROLES)
def outcome(request, item_id):
    try:
        item = services.record_callback(
            user=request.user,
            item_id=item_id,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )
    except NotFound:
        raise Http404 from None
    except HotlineError as exc:
        return _back(request, error=exc)
    return _back(
        request, ok=f"已记录 {mask_phone(item.number)} 的回拨结果：{item.get_status_display()}"
    )


@require_POST
@role_required(*CALLBACK_ROLES)
def dial_ticket(request):
    """回访: click-to-dial the citizen of a ticket the user may see."""
    number = request.POST.get("ticket", "")
    ticket = scope.visible_tickets(request.user).filter(number=number).first()
    if ticket is None:
        raise Http404
    try:
        if not ticket.citizen_phone:
            raise NotFound("该工单没有联系电话", "the ticket has no phone", field="ticket")
        services.click_to_dial(
            user=request.user, number=ticket.citizen_phone, purpose="ticket", ticket=ticket
        )
    except HotlineError as exc:
        return _back(request, error=exc, default="web:callback")
    return _back(request, ok=f"正在呼叫工单 {ticket.number} 的诉求人", default="web:callback")
