"""Typed shapes of the incidents API (django-ninja / pydantic)."""

import datetime as dt

from ninja import Field, Schema


class DeclareIn(Schema):
    name: str = Field(..., max_length=100)
    regions: list[str] = Field(..., description="涉及区划代码")
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list, description="相关一级分类编码")
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    center: str | None = Field(None, description="宣布中心编码（管理多个中心时）")


class ScriptOut(Schema):
    id: int
    version: int
    body: str
    state: str
    written_by: str
    approved_by: str | None


class IncidentOut(Schema):
    id: int
    name: str
    center: str
    regions: list[str]
    keywords: list[str]
    examples: list[str]
    state: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    script: ScriptOut | None = Field(None, description="已发布的口径")
    may_manage: bool


class ScriptIn(Schema):
    body: str = Field(..., max_length=5000)


class GroupOut(Schema):
    groups: list[str] = Field(..., description="并单组的主单编号")
    merged: int
    failed: list[str]


class EnrollIn(Schema):
    username: str = Field(..., max_length=40)
    full_name: str = Field(..., max_length=64)
    phone: str = Field("", max_length=20)


class EnrolledOut(Schema):
    id: int
    username: str
    password: str = Field(..., description="一次性显示的初始密码")


class RuleIn(Schema):
    max_waiting: int
    max_wait_seconds: int
    is_active: bool = True


class OverflowOut(Schema):
    center_id: int
    waiting: int
    longest_wait_seconds: int
    max_waiting: int | None
    max_wait_seconds: int | None
    overflowing: bool


class PoolIn(Schema):
    username: str
    active: bool = True


class PoolOut(Schema):
    username: str
    home_center: str
    active: bool


class ReportIn(Schema):
    what: str = Field(..., max_length=200)
    place: str = Field(..., max_length=200)
    people: int = 0
    risk: str = Field("", max_length=500)
    ticket: str | None = Field(None, description="工单编号")
    incident: int | None = None


class StepOut(Schema):
    action: str
    center: str
    user: str | None
    note: str
    at: dt.datetime


class ReportOut(Schema):
    id: int
    what: str
    place: str
    people: int
    risk: str
    origin: str
    at_center: str
    state: str
    due_at: dt.datetime | None
    merged: list[int]
    steps: list[StepOut]


class AckIn(Schema):
    note: str = Field("", max_length=500)


class SlotOut(Schema):
    day: dt.date
    start: str
    calls: float
    agents: int
    scheduled: int
    service_level: float


class PlanOut(Schema):
    center: str
    aht_seconds: float
    signed_in: int
    slots: list[SlotOut]
