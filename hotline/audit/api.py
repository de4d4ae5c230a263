"""Personal data API: the full name or phone of a ticket's citizen (logged), and the access
log for the security auditor."""

from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema

from hotline.errors import Forbidden
from hotline.throttle import client_address
from hotline.tickets.api import ERRORS, _get

from . import services

router = Router(tags=["安全审计 audit"])


class RevealIn(Schema):
    fields: list[Literal["citizen_name", "citizen_phone"]] = Field(..., min_length=1)
    reason: str = Field(..., max_length=200)


class RevealOut(Schema):
    citizen_name: str | None = None
    citizen_phone: str | None = None


class ViewOut(Schema):
    at: datetime
    user: str
    ticket_number: str
    field: str
    reason: str
    address: str | None


@router.post("/tickets/{number}/personal-data", response={200: RevealOut, **ERRORS})
def reveal(request, number: str, payload: RevealIn):
    """The full values, once, with a reason; each field seen is logged (who, when, why)."""
    ticket = _get(request, number)
    return services.reveal(
        user=request.auth, ticket=ticket, fields=payload.fields, reason=payload.reason,
        address=client_address(request) or None,
    )  # fmt: skip


@router.get("/audit/personal-data-views", response={200: list[ViewOut], **ERRORS})
def access_log(request, limit: int = 200):
    """The access log, newest first (安全审计员 only)."""
    if not services.is_auditor(request.auth):
        raise Forbidden("仅安全审计员可查看访问日志", "only the security auditor reads the log")
    rows = services.visible_log(request.auth).order_by("-at", "-pk")[: max(1, min(limit, 1000))]
    return [
        {"at": v.at, "user": v.viewer, "ticket_number": v.ticket_number,
         "field": v.field, "reason": v.reason, "address": v.address}
        for v in rows
    ]  # fmt: skip
