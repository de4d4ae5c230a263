"""The agent's desktop (座席工作台): sign in to a seat, 就绪 / 小休 / 签出, and the screen pop.

The page listens to the agent's own topic (hotline.realtime): a ringing or answered call loads
the pop (caller's number and region, earlier tickets open first, repeat-caller, risk and
confidentiality marks, 补充/催办 buttons, and the intake form tied to the call) without a
reload. Every change goes through hotline.calls.services; the form saves through web's intake.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hotline.errors import HotlineError, NotFound
from hotline.orgs.models import Role
from hotline.realtime.topics import agent_topic
from hotline.tickets.lifecycle.followup import OPEN as FOLLOW_UP_OPEN
from hotline.web.common import is_htmx, role_required
from hotline.web.intake import form_context

from . import access, agents, services
from .history import caller_history
from .models import AgentSession, AgentState, Seat

BREAK_REASONS = ["用餐", "休息", "培训", "会议", "其他"]
FOLLOW_UP_KINDS = [("supplement", "补充"), ("urge", "催办")]


def _centers(request):
    return [m.unit for m in request.role_memberships if m.unit.is_center]


def _free_seats(request):
    taken = AgentSession.objects.filter(ended_at=None).values("seat_id")
    return list(
        Seat.objects.filter(center__in=_centers(request), is_active=True)
        .exclude(pk__in=taken)
        .select_related("center")
        .order_by("center__code", "code")
    )


def _state_context(session) -> dict:
    return {
        "session": session,
        "reasons": BREAK_REASONS,
        "states": AgentState,
        "on_call": session is not None and session.state == AgentState.ON_CALL,
    }


def _pop_context(request, call) -> dict:
    history = caller_history(request.user, call.caller, exclude_call=call)
    for t in history["tickets"]:
        t["can_follow_up"] = t["status"] in FOLLOW_UP_OPEN
    return {
        "call": call,
        "history": history,
        "follow_up_kinds": FOLLOW_UP_KINDS,
        **form_context(request, {"citizen_phone": call.caller, "call": call.pk}),
    }


@role_required(Role.AGENT)
def desk(request):
    session = agents.active_session(request.user)
    ctx = {
        **_state_context(session),
        "seats": _free_seats(request) if session is None else [],
        "stream_url": f"{reverse('realtime:stream')}?topic={agent_topic(request.user.pk)}",
    }
    if session is not None and session.current_call_id:
        call = access.visible_calls(request.user).filter(pk=session.current_call_id).first()
        if call is not None:
            ctx.update(_pop_context(request, call))
    return render(request, "calls/desk.html", ctx)


@role_required(Role.AGENT)
def state_panel(request):
    """The state panel alone: the page fetches it when the agent's state changed."""
    session = agents.active_session(request.user)
    return render(request, "calls/partials/desk_state.html", _state_context(session))


@role_required(Role.AGENT)
def pop(request):
    """The screen pop of a call the agent may see (their own): 404 for any other."""
    call_id = request.GET.get("call", "")
    if not call_id.isdigit():
        raise Http404
    try:
        call = access.visible_call(request.user, int(call_id))
    except NotFound:
        raise Http404 from None
    return render(request, "calls/partials/pop.html", _pop_context(request, call))


def _done(request, result_message=None, error=None):
    if error is not None:
        messages.error(request, error.message_zh)
    elif result_message:
        messages.success(request, result_message)
    return redirect("calls:desk")


@require_POST
@role_required(Role.AGENT)
def sign_in(request):
    seat_id = request.POST.get("seat", "")
    seat = None
    if seat_id.isdigit():
        seat = (
            Seat.objects.filter(pk=int(seat_id), center__in=_centers(request))
            .select_related("center")
            .first()
        )
    if seat is None:
        raise Http404  # a seat of another center does not exist for this agent
    try:
        services.sign_in(user=request.user, seat=seat)
    except HotlineError as exc:
        return _done(request, error=exc)
    return _done(request, f"已签入座席 {seat.code}")


@require_POST
@role_required(Role.AGENT)
def set_state(request):
    state = request.POST.get("state", "")
    try:
        services.set_state(user=request.user, state=state, reason=request.POST.get("reason", ""))
    except HotlineError as exc:
        return _done(request, error=exc)
    return _done(request, f"状态已切换为{AgentState(state).label}")


@require_POST
@role_required(Role.AGENT)
def sign_out(request):
    try:
        services.sign_out(user=request.user)
    except HotlineError as exc:
        return _done(request, error=exc)
    return _done(request, "已签出")


@require_POST
@role_required(Role.AGENT)
def follow_up(request):
    """补充 / 催办 an earlier ticket on this call instead of registering a new one."""
    p = request.POST
    ctx = {"ticket_number": p.get("ticket_number", "")}
    try:
        if not (p.get("call", "").isdigit() and p.get("ticket", "").isdigit()):
            raise NotFound("工单或来电不存在", "no such ticket or call")
        services.continue_ticket(
            user=request.user,
            call_id=int(p["call"]),
            ticket_id=int(p["ticket"]),
            kind=p.get("kind", ""),
            note=p.get("note", ""),
        )
        ctx["done"] = dict(FOLLOW_UP_KINDS).get(p["kind"], "")
    except HotlineError as exc:
        if not is_htmx(request):
            return _done(request, error=exc)
        ctx["error"] = exc.message_zh
    if not is_htmx(request):
        return _done(request, f"已{ctx['done']}工单 {ctx['ticket_number']}")
    return render(request, "calls/partials/follow_up_result.html", ctx)
