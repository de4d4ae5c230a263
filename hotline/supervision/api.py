"""Supervision API: the ledger (督办台账) and the notification bell."""

from datetime import datetime
from typing import Annotated

from django.http import Http404
from ninja import Field, Router, Schema
from ninja import Status as HttpStatus

from hotline.errors import InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import Unit
from hotline.tickets.schemas import ErrorOut

from . import api_checks, notify, services
from .models import ItemLevel, ItemState, Notification, SupervisionItem

router = Router(tags=["督办 supervision"])
router.add_router("/", api_checks.router)
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class SupervisionItemOut(Schema):
    id: int
    ticket: str
    target_unit: str
    source: str
    level: str
    state: str
    reason: str
    deadline: datetime
    opened_at: datetime
    answer: str
    close_note: str
    escalated_from: int | None

    @staticmethod
    def from_item(i: SupervisionItem) -> "SupervisionItemOut":
        return SupervisionItemOut(
            id=i.pk, ticket=i.ticket.number, target_unit=i.target_unit.code, source=i.source,
            level=i.level, state=i.state, reason=i.reason, deadline=i.deadline,
            opened_at=i.opened_at, answer=i.answer, close_note=i.close_note,
            escalated_from=i.escalated_from_id,
        )  # fmt: skip


class OpenIn(Schema):
    ticket: str
    reason: str
    level: str = ItemLevel.CENTER
    target_unit: str | None = None
    deadline: datetime | None = None
    source: str = "manual"  # or "instruction": a leader's instruction (领导批示)


class SupervisionTextIn(Schema):
    text: str = ""


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    link: str
    created_at: datetime
    read: bool


class ReadIn(Schema):
    # none: mark every notification read. Ids are database keys (64-bit): a larger number is
    # bad input (422), not a database overflow (500, issue 18's fuzzing).
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = None


class BellOut(Schema):
    unread: int


@router.get("/supervision/items", response={200: list[SupervisionItemOut], **ERRORS})
def list_items(request, state: str | None = None):
    qs = api_checks.in_state(services.visible_items(request.auth), state, ItemState.values)
    qs = qs.order_by("-opened_at", "-id")
    return [SupervisionItemOut.from_item(i) for i in qs[:500]]


@router.post("/supervision/items", response={201: SupervisionItemOut, **ERRORS})
def open_item(request, payload: OpenIn):
    ticket = scope.visible_tickets(request.auth).filter(number=payload.ticket).first()
    if ticket is None:
        raise Http404
    target = None
    if payload.target_unit:
        target = Unit.objects.filter(code=payload.target_unit, is_active=True).first()
        if target is None:
            raise InvalidInput("督办对象单位不存在", "unknown target_unit", field="target_unit")
    item = services.open_item(
        ticket=ticket, by=request.auth, reason=payload.reason, level=payload.level,
        target_unit=target, deadline=payload.deadline, source=payload.source,
    )  # fmt: skip
    return HttpStatus(201, SupervisionItemOut.from_item(item))


@router.get("/supervision/items/{item_id}", response={200: SupervisionItemOut, **ERRORS})
def get_item(request, item_id: int):
    return SupervisionItemOut.from_item(services.get_item(request.auth, item_id))


@router.post("/supervision/items/{item_id}/answer", response={200: SupervisionItemOut, **ERRORS})
def answer(request, item_id: int, payload: SupervisionTextIn):
    item = services.get_item(request.auth, item_id)
    return SupervisionItemOut.from_item(
        services.answer(item=item, by=request.auth, body=payload.text)
    )


@router.post("/supervision/items/{item_id}/clear", response={200: SupervisionItemOut, **ERRORS})
def clear(request, item_id: int, payload: SupervisionTextIn):
    item = services.get_item(request.auth, item_id)
    return SupervisionItemOut.from_item(
        services.clear(item=item, by=request.auth, note=payload.text)
    )


@router.post("/supervision/items/{item_id}/escalate", response={200: SupervisionItemOut, **ERRORS})
def escalate(request, item_id: int, payload: SupervisionTextIn):
    item = services.get_item(request.auth, item_id)
    return SupervisionItemOut.from_item(
        services.escalate(item=item, by=request.auth, reason=payload.text)
    )


@router.get("/notifications", response={200: list[NotificationOut], **ERRORS})
def notifications(request, unread: bool = False):
    qs = Notification.objects.filter(recipient=request.auth).order_by("-created_at", "-id")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return [
        NotificationOut(
            id=n.pk,
            title=n.title,
            body=n.body,
            link=n.link,
            created_at=n.created_at,
            read=n.read_at is not None,
        )  # fmt: skip
        for n in qs[:100]
    ]


@router.get("/notifications/unread-count", response={200: BellOut, **ERRORS})
def unread_count(request):
    return BellOut(unread=notify.unread_count(request.auth))


@router.post("/notifications/read", response={200: BellOut, **ERRORS})
def mark_read(request, payload: ReadIn):
    notify.mark_read(user=request.auth, ids=payload.ids)
    return BellOut(unread=notify.unread_count(request.auth))
