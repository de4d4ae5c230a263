"""Exchange API: inbound batches from connected systems and the pull feed of ticket events."""

from datetime import timedelta
from typing import Literal

from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.security import django_auth
from pydantic import Field

from hotline.orgs.tokenauth import token_auth
from hotline.tickets.schemas import ErrorOut, TicketFilters

from . import delivery, export, services
from .models import OutboxMessage, SystemKind
from .schemas import BatchIn, BatchOut, EventPage, StatusBatchIn, StatusBatchOut
from .systemauth import SystemSignature

router = Router(tags=["数据交换 exchange"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


@router.post(
    "/exchange/tickets",
    response={200: BatchOut, **ERRORS},
    auth=SystemSignature(kinds={SystemKind.SUBCENTER}),
    summary="接收分中心工单（单条或批量） / receive work orders",
)
def receive_tickets(request, payload: BatchIn):
    """Each item is answered created / existing / rejected; a retried batch creates nothing
    twice, since (system, external id) is the ticket's reference."""
    return services.ingest(system=request.auth, items=payload.tickets)


@router.post(
    "/exchange/status",
    response={200: StatusBatchOut, **ERRORS},
    auth=SystemSignature(kinds={SystemKind.SUBCENTER}),
    summary="报送自办件状态 / report the status of self-handled tickets",
)
def report_status(request, payload: StatusBatchIn):
    """A system reports acknowledged / replied / closed / reopened on the tickets it sent
    with `self_handled`; each report is answered applied / unchanged / stale / rejected."""
    return services.report_statuses(system=request.auth, items=payload.updates)


class EventFilters(Schema):
    after: int = Field(0, ge=0, description="游标：上一页最后一个事件的 id")
    limit: int = Field(100, ge=1, le=1000)


@router.get(
    "/exchange/events",
    response={200: EventPage, **ERRORS},
    auth=[SystemSignature(), token_auth, django_auth],
    summary="拉取工单事件 / pull ticket events",
)
def events(request, filters: Query[EventFilters]):
    """Ticket events after the cursor, oldest first, within the reader's scope (a police
    partner: the linkage steps that name it)."""
    # Rows younger than the settle time may still have older ids committing behind them.
    settled_before = timezone.now() - timedelta(seconds=delivery.settle_seconds())
    window = list(
        OutboxMessage.objects.filter(id__gt=filters.after)
        .order_by("id")
        .values_list("id", "created_at")[: filters.limit]
    )
    ids = []
    for msg_id, created_at in window:
        if created_at > settled_before:
            break
        ids.append(msg_id)
    rows = (
        OutboxMessage.objects.filter(delivery.readable(request.auth), id__in=ids)
        .order_by("id")
        .values_list("id", "topic", "payload")
    )
    out = [{"id": i, "topic": topic, **payload} for i, topic, payload in rows]
    # The cursor moves past rows outside the scope too, so that a page is never empty forever.
    return {"events": out, "next_after": ids[-1] if ids else filters.after}


class ExportFormat(Schema):
    format: Literal["csv", "xlsx"] = "xlsx"


@router.get(
    "/exchange/export",
    response={200: None, **ERRORS},
    auth=[token_auth, django_auth],
    summary="导出工单列表（CSV/Excel）/ export a filtered list",
)
def export_tickets(request, filters: Query[TicketFilters], fmt: Query[ExportFormat]):
    """The filters of the ticket list (cursor and limit ignored), within the caller's scope."""
    return export.response(request.auth, filters, fmt.format)
