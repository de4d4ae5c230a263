"""Tickets API: register, list, detail with timeline, and one endpoint per transition."""

import base64
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Query, Router
from ninja import Status as HttpStatus
from ninja.renderers import JSONRenderer

from hotline.catalog.models import Category
from hotline.crypto import mask_name, mask_phone
from hotline.errors import ErrorCode, IllegalTransition, InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Region, Unit

from . import deadlines, history, lifecycle
from .guards import ACTION_NAMES
from .lifecycle import pending_approval
from .models import AssignmentRole, LeaderApproval, Status, Ticket
from .registration import RegisterInput
from .schemas import (
    ChainOut,
    ErrorOut,
    RegisterIn,
    ResolveIn,
    TicketDetailOut,
    TicketFilters,
    TicketOut,
    TicketPage,
)

router = Router(tags=["工单 tickets"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---- reading ------------------------------------------------------------------------------


def _get(request, number: str) -> Ticket:
    t = (
        scope.visible_tickets(request.auth)
        .select_related("center", "lead_unit", "category", "region", "merged_into")
        .filter(number=number)
        .first()
    )
    if t is None:
        raise Http404
    return t


def _unit(code: str, field: str) -> Unit:
    unit = Unit.objects.select_related("region").filter(code=code).first()
    if unit is None:
        raise InvalidInput(f"单位编码不存在：{code}", f"unknown unit {code}", field=field)
    return unit


def sees_citizen(user, t: Ticket) -> bool:
    """Confidential citizens are shown to their center only, masked for handling units."""
    if not t.confidential or user.is_superuser:
        return True
    return scope.center_membership(user, t.center, CENTER_ROLES | READONLY_ROLES) is not None


def _unit_out(u: Unit | None):
    return {"code": u.code, "name": u.name} if u else None


def ticket_out(user, t: Ticket, now=None) -> dict:
    state, _ = deadlines.state(t, now)
    visible = sees_citizen(user, t)
    return {
        "number": t.number,
        "status": t.status,
        "status_label": Status(t.status).label,
        "channel": t.channel,
        "external_ref": t.external_ref,
        "appeal_type": t.appeal_type,
        "urgency": t.urgency,
        "title": t.title,
        "content": t.content,
        # Always masked (least exposure): the full value is an explicit, logged action
        # (POST .../personal-data, hotline/audit), allowed where `sees_citizen` holds.
        "citizen_name": mask_name(t.citizen_name) if visible else ("*" if t.citizen_name else ""),
        "citizen_phone": mask_phone(t.citizen_phone),
        "anonymous": t.anonymous,
        "confidential": t.confidential,
        "category": t.category.code if t.category_id else None,
        "category_name": t.category.full_name if t.category_id else None,
        "region": t.region.code if t.region_id else None,
        "region_name": t.region.name if t.region_id else None,
        "address": t.address,
        "center": _unit_out(t.center),
        "lead_unit": _unit_out(t.lead_unit),
        "created_at": t.created_at,
        "ack_deadline": t.ack_deadline,
        "handle_deadline": t.handle_deadline,
        "deadline_state": state,
        "deadline_label": deadlines.LABELS[state],
        "satisfaction": t.satisfaction,
        "is_supervised": t.is_supervised,
        "merged_into": t.merged_into.number if t.merged_into_id else None,
    }


def approval_out(a: LeaderApproval) -> dict:
    return {
        "id": a.pk,
        "ticket": a.ticket.number,
        "title": a.ticket.title,
        "unit": _unit_out(a.unit),
        "action": a.action,
        "action_label": a.get_action_display(),
        "payload": a.payload,
        "submitted_by": str(a.submitted_by),
        "submitted_at": a.submitted_at,
    }


def detail_out(user, t: Ticket) -> dict:
    events = t.events.select_related("actor", "actor_unit").order_by("seq")
    assisting = (
        t.assignments.filter(is_active=True, role=AssignmentRole.ASSIST)
        .select_related("unit")
        .order_by("id")
    )
    return {
        **ticket_out(user, t),
        "reply": t.reply,
        "resolved": t.resolved,
        "assisting_units": [_unit_out(a.unit) for a in assisting],
        "extension_count": t.extension_count,
        "reopen_count": t.reopen_count,
        "pending_approval": approval_out(pending) if (pending := pending_approval(t)) else None,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "size": a.size,
                "content_type": a.content_type,
                "sha256": a.sha256,
                "unit": a.unit.name if a.unit else None,
                "uploaded_by": str(a.uploaded_by) if a.uploaded_by else None,
                "at": a.created_at,
                "url": f"/api/v1/tickets/{t.number}/attachments/{a.pk}",
            }
            for a in t.attachments.select_related("unit", "uploaded_by").order_by("id")
        ],
        "timeline": [
            {
                "seq": e.seq,
                "action": e.action,
                "action_label": ACTION_NAMES.get(e.action, e.action),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": str(e.actor) if e.actor else None,
                "unit": e.actor_unit.name if e.actor_unit else None,
                "data": e.data,
                "at": e.created_at,
            }
            for e in events
        ],
    }


def _decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("分页游标无效", "cursor is not valid", field="cursor") from exc


def _subtree(model, code: str, field: str, label: str):
    node = model.objects.filter(code=code).first()
    if node is None:
        raise InvalidInput(f"{label}不存在：{code}", f"unknown {field} {code}", field=field)
    if model is Category:
        return model.objects.filter(code__startswith=node.code).values("id")
    return model.objects.filter(path__startswith=node.path).values("id")


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_tickets(user, f: TicketFilters):
    qs = scope.visible_tickets(user)
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.unit:
        unit = _unit(f.unit, "unit")
        qs = qs.filter(
            Q(lead_unit=unit) | Q(assignments__unit=unit, assignments__is_active=True)
        ).distinct()  # one row per ticket, however many of its assignments match
    if f.category:
        qs = qs.filter(category_id__in=_subtree(Category, f.category, "category", "诉求分类"))
    if f.region:
        qs = qs.filter(region_id__in=_subtree(Region, f.region, "region", "行政区划"))
    for name in ("appeal_type", "urgency", "channel"):
        if getattr(f, name):
            qs = qs.filter(**{name: getattr(f, name)})
    if f.overdue is not None:
        qs = qs.filter(deadlines.overdue_q()) if f.overdue else qs.exclude(deadlines.overdue_q())
    # Local days as UTC ranges, so that the index on created_at serves the filter.
    if f.created_from:
        qs = qs.filter(created_at__gte=_local_midnight(f.created_from))
    if f.created_to:
        qs = qs.filter(created_at__lt=_local_midnight(f.created_to + timedelta(days=1)))
    if f.q:
        qs = qs.filter(Q(number=f.q.strip()) | Q(title__contains=f.q) | Q(content__contains=f.q))
    return qs


@router.get("/tickets", response={200: TicketPage, **ERRORS}, summary="工单列表")
def list_tickets(request, filters: Query[TicketFilters]):
    """Tickets in the caller's scope, newest first, with cursor pagination."""
    qs = filter_tickets(request.auth, filters)
    if filters.cursor:
        qs = qs.filter(pk__lt=_decode_cursor(filters.cursor))
    rows = list(
        qs.select_related("center", "lead_unit", "category", "region", "merged_into").order_by(
            "-pk"
        )[: filters.limit + 1]
    )
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    now = timezone.now()
    cursor = base64.urlsafe_b64encode(str(rows[-1].pk).encode()).decode() if more else None
    return {"items": [ticket_out(request.auth, t, now) for t in rows], "next_cursor": cursor}


# ---- intake -------------------------------------------------------------------------------


def _register_input(payload: RegisterIn) -> RegisterInput:
    data = payload.dict(exclude={"reply", "article", "category"})
    category = None
    if payload.category:
        category = Category.objects.filter(code=payload.category, is_active=True).first()
        if category is None:
            raise InvalidInput(
                "诉求分类不存在", f"unknown category {payload.category}", field="category"
            )
    data["channel"] = str(payload.channel)
    data["appeal_type"] = str(payload.appeal_type)
    data["urgency"] = str(payload.urgency)
    return RegisterInput(category=category, **data)


_RENDERER = JSONRenderer()


def _rendered(request, status: int, data: dict) -> HttpResponse:
    content_type = f"{_RENDERER.media_type}; charset={_RENDERER.charset}"
    body = _RENDERER.render(request, data, response_status=status)
    return HttpResponse(body, status=status, content_type=content_type)


@router.post(
    "/tickets",
    response={200: TicketOut, 201: TicketOut, **ERRORS},
    summary="受理诉求（登记工单）",
)
def register(request, payload: RegisterIn):
    """Register a demand (201). A repeated external reference returns the existing ticket
    (200), or 409 when that reference belongs to a ticket outside the caller's scope."""
    ticket, created = lifecycle.register(by=request.auth, data=_register_input(payload))
    if created:
        # Rendered as the API renders (ninja's JSON renderer) without validating the dict
        # against TicketOut again: ticket_out builds exactly its fields from a row just
        # checked and saved, and the validation cost a registration ~7 % of its CPU
        # (cProfile, bench/bench_register_ratio.py). tests/api keep the body equal to
        # TicketOut's validation of it.
        return _rendered(request, 201, ticket_out(request.auth, ticket))
    if not scope.is_visible(request.auth, ticket):
        raise IllegalTransition(
            "该外部编号已被其他工单使用",
            "external_ref is already used by another ticket",
            field="external_ref",
            code=ErrorCode.DUPLICATE,
        )
    return HttpStatus(200, ticket_out(request.auth, _get(request, ticket.number)))


@router.post(
    "/tickets/resolve-at-intake", response={201: TicketDetailOut, **ERRORS}, summary="直接办结"
)
def resolve_at_intake(request, payload: ResolveIn):
    """Register a demand the agent answered at once, closed with the answer."""
    t = lifecycle.resolve_at_intake(
        by=request.auth, data=_register_input(payload), reply=payload.reply, article=payload.article
    )
    return HttpStatus(201, detail_out(request.auth, _get(request, t.number)))


@router.get("/tickets/{number}", response={200: TicketDetailOut, **ERRORS}, summary="工单详情")
def get_ticket(request, number: str):
    """One ticket with its timeline and live deadline state."""
    return detail_out(request.auth, _get(request, number))


@router.get("/tickets/{number}/chain", response={200: ChainOut, **ERRORS}, summary="校验流转记录")
def check_chain(request, number: str):
    """Verify the hash chain of the ticket's history."""
    r = history.verify(_get(request, number))
    return {"number": r.ticket_number, "ok": r.ok, "problem": r.problem, "seq": r.seq}
