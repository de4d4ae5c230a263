"""Calls API: the CTI event intake, the agent's seat and state, calls, 回拨, figures."""

from datetime import date
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from hotline.crypto import mask_phone, phone_q
from hotline.errors import InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Unit
from hotline.tickets.schemas import ErrorOut

from . import (
    access,
    agents,
    callbacks,
    conf,
    cti,
    dialing,
    events,
    figures,
    history,
    links,
    push,
    wallboard,
)
from .models import AgentState, CallbackStatus, Outcome, Seat
from .schemas import IngestOut

router = Router(tags=["接听与座席 calls"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "description": '一个事件，或 {"events": [事件, ...]}（最多 1,000 个），见 docs/calls.md',
                    "type": "object",
                }
            }
        },
    }
}


@router.post(
    "/cti/events",
    response={200: IngestOut, **ERRORS},
    auth=None,
    summary="接收呼叫平台事件 / receive call platform (CTI) events",
    openapi_extra=EVENTS_BODY,
)
def cti_events(request: HttpRequest):
    """Signed by the platform (X-Hotline-Platform, -Timestamp, -Signature over the body); a
    refused request changes nothing and is counted. Idempotent by (platform, event_id)."""
    code = request.headers.get(cti.PLATFORM_HEADER, "")
    try:
        try:
            return _ingest(request, fresh=False)
        except cti.PlatformChanged:
            # The worker's copy of the platform was out of date (disabled, new secret, moved):
            # nothing was written; the request is judged again from the platform's row.
            return _ingest(request, fresh=True)
    except (cti.Refused, cti.Malformed) as exc:
        cti.count_refusal(code, exc.reason)
        raise


def _ingest(request: HttpRequest, *, fresh: bool) -> dict:
    platform, signature, kept = cti.authenticate(request, fresh=fresh)
    batch, raw = cti.parse(request.body)
    return events.ingest(
        platform=platform, events=batch, raw=raw, signature=signature, confirm=kept
    )


# ---- the agent's seat and state ----------------------------------------------------------


class SignInIn(Schema):
    seat: int = Field(description="座席 id")


class StateIn(Schema):
    state: Literal["ready", "break"]
    reason: str = ""


def _session_out(session) -> dict:
    if session is None:
        return {"signed_in": False}
    return {
        "signed_in": session.ended_at is None,
        "seat": {"id": session.seat_id, "code": session.seat.code},
        "center_id": session.center_id,
        "state": session.state,
        "state_label": AgentState(session.state).label,
        "reason": session.reason,
        "since": session.state_since.isoformat(),
        "after_call_until": (
            session.after_call_until.isoformat() if session.after_call_until else None
        ),
        "current_call": session.current_call_id,
    }


@router.post("/calls/agent/sign-in", response={200: dict, **ERRORS}, summary="签入座席 / sign in")
def sign_in(request, payload: SignInIn):
    seat = Seat.objects.select_related("center").filter(pk=payload.seat).first()
    if seat is None:
        raise NotFound("座席不存在", "no such seat", field="seat")
    session = agents.sign_in(user=request.auth, seat=seat)
    session.seat = seat
    return _session_out(session)


@router.post("/calls/agent/state", response={200: dict, **ERRORS}, summary="就绪/小休 / state")
def set_state(request, payload: StateIn):
    session = agents.set_state(user=request.auth, state=payload.state, reason=payload.reason)
    return _session_out(session)


@router.post("/calls/agent/sign-out", response={200: dict, **ERRORS}, summary="签出 / sign out")
def sign_out(request):
    return _session_out(agents.sign_out(user=request.auth))


@router.get("/calls/agent/me", response={200: dict, **ERRORS}, summary="我的座席与当前通话")
def me(request):
    """The agent's session and, during a call or its 话后整理, the call's screen pop."""
    session = agents.active_session(request.auth)
    out = _session_out(session)
    if session is not None and session.current_call_id:
        call = access.visible_calls(request.auth).filter(pk=session.current_call_id).first()
        if call is not None:
            out["call"] = push.screen_pop(call, "current")
    return out


@router.get("/calls/history", response={200: dict, **ERRORS}, summary="来电历史 / caller history")
def caller_history(request, number: str):
    """The caller's earlier tickets the user may see (open first), repeat and risk marks."""
    if not access.center_paths(request.auth, CENTER_ROLES | READONLY_ROLES):
        raise NotFound("无权查看来电历史", "not a hotline center's staff")
    return history.caller_history(request.auth, number)


# ---- calls -------------------------------------------------------------------------------


class CallFilters(Schema):
    day: date | None = None
    outcome: str | None = None
    caller: str | None = None
    after: int = Field(0, ge=0, description="游标：上一页最后一条的 id（按 id 倒序时为其 id）")
    limit: int = Field(50, ge=1, le=500)


def citizen_numbers_out(call) -> dict:
    """The call's two numbers as lists and exports show them: the citizen's masked."""
    if call.direction == "outbound":
        return {"caller": call.caller, "called": mask_phone(call.called)}
    return {"caller": mask_phone(call.caller), "called": call.called}


def call_out(call, *, detail=False) -> dict:
    out = {
        "id": call.pk,
        "platform": call.platform.code,
        "platform_call_id": call.platform_call_id,
        "direction": call.direction,
        "state": call.state,
        "outcome": call.outcome,
        "outcome_label": Outcome(call.outcome).label,
        # Masked (least exposure, as tickets): the citizen is the caller of an inbound call
        # and the called of an outbound one; the agent's own screen pop has the full number.
        **citizen_numbers_out(call),
        "queue": call.queue.code if call.queue_id else None,
        "center": {"id": call.center_id, "name": call.center.name},
        "agent_id": call.agent_id,
        "seat": call.seat.code if call.seat_id else None,
        "offered_at": call.offered_at.isoformat(),
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "hold_seconds": call.hold_seconds,
        "acw_seconds": call.acw_seconds,
        "is_error": call.is_error,
        "error_reason": call.error_reason,
    }
    if detail:
        out.update(
            ivr=call.ivr,
            trunk=call.trunk,
            # Only ever returned here, after the scope check of the detail.
            recording=call.recording or None,
            cause=call.cause,
            transfer={"kind": call.transfer_kind, "target": call.transfer_target}
            if call.transfer_kind
            else None,
            tickets=[
                {"number": link.ticket.number, "kind": link.kind}
                for link in call.links.select_related("ticket").order_by("id")
            ],
            events=[
                {"event_id": e.event_id, "type": e.type, "at": e.at.isoformat(), "error": e.error}
                for e in call.events.order_by("at", "id")
            ],
        )
    return out


@router.get("/calls", response={200: dict, **ERRORS}, summary="通话列表 / calls")
def list_calls(request, filters: Query[CallFilters]):
    """Newest first, within the caller's scope (agents: their own calls)."""
    calls = access.visible_calls(request.auth).select_related("platform", "center", "queue", "seat")
    if filters.day:
        calls = calls.filter(day=filters.day)
    if filters.outcome is not None:
        calls = calls.filter(outcome=filters.outcome)
    if filters.caller:
        calls = calls.filter(phone_q(filters.caller, "caller"))
    if filters.after:
        calls = calls.filter(pk__lt=filters.after)
    page = list(calls.order_by("-id")[: filters.limit])
    return {
        "calls": [call_out(c) for c in page],
        "next_after": page[-1].pk if len(page) == filters.limit else None,
    }


@router.get("/calls/{int:call_id}", response={200: dict, **ERRORS}, summary="通话详情 / a call")
def get_call(request, call_id: int):
    call = access.visible_call(request.auth, call_id)
    return call_out(call, detail=True)


class LinkIn(Schema):
    ticket: str = Field(description="工单编号")
    kind: Literal["registered", "supplement", "urge"] = "registered"
    note: str = ""


@router.post("/calls/{int:call_id}/tickets", response={200: dict, **ERRORS}, summary="关联工单")
def link_ticket(request, call_id: int, payload: LinkIn):
    """Tie a ticket registered on the call, or 补充/催办 an earlier one on it."""
    ticket = scope.visible_tickets(request.auth).filter(number=payload.ticket).first()
    if ticket is None:
        raise NotFound("工单不存在或无权查看", "no such ticket", field="ticket")
    if payload.kind == "registered":
        link = links.link_ticket(user=request.auth, call_id=call_id, ticket_id=ticket.pk)
    else:
        link = links.continue_ticket(
            user=request.auth,
            call_id=call_id,
            ticket_id=ticket.pk,
            kind=payload.kind,
            note=payload.note,
        )
    return {"call": link.call_id, "ticket": ticket.number, "kind": link.kind}


# ---- 回拨 and click-to-dial ---------------------------------------------------------------


def _item_out(item) -> dict:
    return {
        "id": item.pk,
        "call_id": item.call_id,
        "number": mask_phone(item.number),
        "reason": item.reason,
        "center_id": item.center_id,
        "created_at": item.created_at.isoformat(),
        "due_at": item.due_at.isoformat(),
        "status": item.status,
        "status_label": CallbackStatus(item.status).label,
        "attempts": item.attempts,
        "taken_by": item.taken_by_id,
        "outcome_note": item.outcome_note,
    }


@router.get("/calls/callbacks/queue", response={200: dict, **ERRORS}, summary="回拨队列")
def callback_queue(request, status: str | None = None, limit: int = 100):
    items = callbacks.queue(request.auth, status=status)[: max(1, min(limit, 500))]
    return {"items": [_item_out(i) for i in items]}


@router.post(
    "/calls/callbacks/{int:item_id}/take", response={200: dict, **ERRORS}, summary="领取回拨"
)
def take_callback(request, item_id: int):
    return _item_out(callbacks.take(user=request.auth, item_id=item_id))


class OutcomeIn(Schema):
    status: Literal["done", "unreachable"]
    note: str = ""


@router.post(
    "/calls/callbacks/{int:item_id}/outcome", response={200: dict, **ERRORS}, summary="记录回拨结果"
)
def record_callback(request, item_id: int, payload: OutcomeIn):
    item = callbacks.record_outcome(
        user=request.auth, item_id=item_id, status=payload.status, note=payload.note
    )
    return _item_out(item)


def _dial_out(req) -> dict:
    return {"request_id": req.request_id, "status": req.status, "number": mask_phone(req.number)}


@router.post(
    "/calls/callbacks/{int:item_id}/dial",
    response={200: dict, 502: ErrorOut, **ERRORS},
    summary="回拨外呼",
)
def dial_callback(request, item_id: int):
    """Take the item and ask the platform to connect the agent's seat to the citizen."""
    item = callbacks.take(user=request.auth, item_id=item_id)
    req = dialing.click_to_dial(
        user=request.auth, number=item.number, purpose="callback", callback=item
    )
    return _dial_out(req)


class DialIn(Schema):
    ticket: str = Field(description="回访的工单编号")


@router.post("/calls/dial", response={200: dict, 502: ErrorOut, **ERRORS}, summary="回访外呼")
def dial_ticket(request, payload: DialIn):
    """Click-to-dial the citizen of a ticket in scope (回访)."""
    ticket = scope.visible_tickets(request.auth).filter(number=payload.ticket).first()
    if ticket is None or not ticket.citizen_phone:
        raise NotFound("工单不存在或没有联系电话", "no such ticket or no phone", field="ticket")
    req = dialing.click_to_dial(
        user=request.auth, number=ticket.citizen_phone, purpose="ticket", ticket=ticket
    )
    return _dial_out(req)


# ---- figures -----------------------------------------------------------------------------


class FigureFilters(Schema):
    by: Literal["center", "agent", "day", "hour"] = "day"
    day_from: date
    day_to: date
    center: int | None = Field(None, description="中心 id（含下级中心）；缺省为本人可见的全部")


@router.get("/calls/figures", response={200: dict, **ERRORS}, summary="话务指标 / call figures")
def call_figures(request, filters: Query[FigureFilters]):
    """Offered, answered, abandons, answer rate, service level, ASA, AHT, ACW per group."""
    if filters.day_to < filters.day_from or (filters.day_to - filters.day_from).days > 366:
        raise InvalidInput(
            "日期范围不正确（最长一年）", "bad date range (a year at most)", field="day_to"
        )
    calls = access.visible_calls(request.auth)
    if filters.center is not None:
        center = Unit.objects.filter(pk=filters.center).first()
        if center is None:
            raise NotFound("中心不存在", "no such center", field="center")
        calls = calls.filter(center__in=wallboard.centers_under(center))
    calls = calls.filter(day__gte=filters.day_from, day__lte=filters.day_to)
    return {
        "by": filters.by,
        "service_level_seconds": conf.service_level_seconds(),
        "short_abandon_seconds": conf.short_abandon_seconds(),
        "rows": figures.aggregate(calls, by=[filters.by]),
        "total": figures.totals(calls),
    }
