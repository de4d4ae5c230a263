"""The standard work-order exchange format (version 1), as typed shapes of the API."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, field_validator

from hotline.catalog.models import AppealType, Urgency
from hotline.tickets.models import Satisfaction

FORMAT_VERSION = "1"
MAX_BATCH = 1000


# A plain pydantic model, not a ninja Schema: items are validated one by one from the batch's
# JSON (never read from Django objects), and ninja's object-reading validator cost more than
# the rest of the check in a batch of a thousand.
class ExchangeTicketIn(BaseModel):
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
    self_handled: bool = Field(
        False,
        description="自办件：由接入系统自行办理，只为统一统计而报送；其状态由 "
        "POST /exchange/status 报送 / handled by the sending system, reported for statistics",
    )


class BatchIn(Schema):
    """One work order is a batch of one. Items are checked one by one, so that a bad item is
    rejected with its reason while the good ones go in."""

    version: Literal["1"] = FORMAT_VERSION
    tickets: list[Any] = Field(..., min_length=1, max_length=MAX_BATCH)


# Plain pydantic models too: a batch's answer is a thousand of these, and ninja's Schema reads
# each through its Django-object getter, which cost a fifth of the whole request.
class ItemResult(BaseModel):
    index: int
    external_id: str | None
    result: Literal["created", "existing", "rejected"]
    number: str | None = None
    status: str | None = None
    field: str | None = None
    message_zh: str | None = None
    message_en: str | None = None


class BatchOut(BaseModel):
    created: int
    existing: int
    rejected: int
    items: list[ItemResult]


class StatusUpdateIn(BaseModel):
    """A connected system's report on a ticket it handles itself (sent with self_handled)."""

    external_id: str = Field(..., min_length=1, max_length=39, description="接入系统自己的工单号")
    state: Literal["acknowledged", "replied", "closed", "reopened"] = Field(
        ..., description="签收 / 已答复 / 办结 / 重办"
    )
    at: datetime = Field(..., description="系统内发生该变化的时间（带时区）；按此排序")
    reply: str = Field("", max_length=5000, description="答复内容（replied 必填）")
    satisfaction: Satisfaction | None = Field(None, description="满意度（closed）")
    resolved: bool | None = Field(None, description="是否解决（closed）")
    note: str = Field("", max_length=1000)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("at must carry a time zone (e.g. +08:00 or Z)")
        return value


class StatusBatchIn(Schema):
    """One to 1,000 reports, answered one by one."""

    version: Literal["1"] = FORMAT_VERSION
    updates: list[Any] = Field(..., min_length=1, max_length=MAX_BATCH)


class StatusResult(Schema):
    index: int
    external_id: str | None
    result: Literal["applied", "unchanged", "stale", "rejected"]
    number: str | None = None
    status: str | None = None
    field: str | None = None
    message_zh: str | None = None
    message_en: str | None = None


class StatusBatchOut(Schema):
    applied: int
    unchanged: int
    stale: int
    rejected: int
    items: list[StatusResult]


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
