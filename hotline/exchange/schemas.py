"""The standard work-order exchange format (version 1), as typed shapes of the API."""

from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from hotline.catalog.models import AppealType, Urgency

FORMAT_VERSION = "1"
MAX_BATCH = 1000


class ExchangeTicketIn(Schema):
    """One work order as a connected system sends it (the ticket's channel is `subcenter`)."""

    # Short enough that "{system code}:{external_id}" fits the ticket's 64-character reference.
    external_id: str = Field(..., min_length=1, max_length=39, description="接入系统自己的工单号")
    appeal_type: AppealType
    title: str = Field(..., min_length=1, max_length=200)
    content: str = Field(..., min_length=1, max_length=5000)
    urgency: Urgency = Urgency.NORMAL
    citizen_name: str = Field("", max_length=64)
    citizen_phone: str = Field("", max_length=20)
    anonymous: bool = False
    confidential: bool = False
    category: str | None = Field(None, max_length=16, description="诉求分类编码")
    region: str | None = Field(None, max_length=12, description="行政区划代码")
    address: str = Field("", max_length=200)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)


class BatchIn(Schema):
    """One work order is a batch of one. Items are checked one by one, so that a bad item is
    rejected with its reason while the good ones go in."""

    version: Literal["1"] = FORMAT_VERSION
    tickets: list[Any] = Field(..., min_length=1, max_length=MAX_BATCH)


class ItemResult(Schema):
    index: int
    external_id: str | None
    result: Literal["created", "existing", "rejected"]
    number: str | None = None
    status: str | None = None
    field: str | None = None
    message_zh: str | None = None
    message_en: str | None = None


class BatchOut(Schema):
    created: int
    existing: int
    rejected: int
    items: list[ItemResult]


class EventOut(Schema):
    id: int = Field(..., description="游标：下次以 after=id 继续")
    topic: str
    ticket: str
    external_ref: str | None
    seq: int
    action: str
    from_status: str
    status: str
    at: str
    data: dict[str, Any]


class EventPage(Schema):
    events: list[EventOut]
    next_after: int
