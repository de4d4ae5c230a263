"""The CTI event contract (docs/calls.md) as a schema, and the API's call shapes."""

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

EventTypeName = Literal[
    "offered",
    "outbound",
    "ringing",
    "answered",
    "held",
    "resumed",
    "transferred",
    "voicemail",
    "abandoned",
    "ended",
]
MAX_BATCH = 1000


class TransferTo(BaseModel):
    kind: Literal["agent", "queue", "center"]
    target: str = Field(min_length=1, max_length=64)


class EventIn(BaseModel):
    """One event; unknown fields are allowed (kept in the raw payload, not interpreted)."""

    model_config = ConfigDict(extra="allow")

    event_id: str = Field(min_length=1, max_length=128)
    call_id: str = Field(min_length=1, max_length=128)
    type: EventTypeName
    at: AwareDatetime
    caller: str | None = Field(None, max_length=32)
    called: str | None = Field(None, max_length=32)
    trunk: str | None = Field(None, max_length=64)
    queue: str | None = Field(None, max_length=32)
    ivr: list[str] | None = Field(None, max_length=20)
    agent: str | None = Field(None, max_length=32)
    transfer_to: TransferTo | None = None
    wait_seconds: int | None = Field(None, ge=0, le=86400)
    recording: str | None = Field(None, max_length=300)
    cause: str | None = Field(None, max_length=64)
    direction: Literal["inbound", "outbound"] | None = None
    request_id: str | None = Field(None, max_length=32)

    @model_validator(mode="after")
    def _required_by_type(self):
        if self.type == "offered" and not (self.caller and self.called):
            raise ValueError("offered requires caller and called")
        if self.type in ("ringing", "answered") and not self.agent:
            raise ValueError(f"{self.type} requires agent")
        if self.type == "transferred" and self.transfer_to is None:
            raise ValueError("transferred requires transfer_to")
        return self


class BatchIn(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class EventError(BaseModel):
    event_id: str
    code: str
    message_zh: str
    message_en: str


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    errors: list[EventError]
