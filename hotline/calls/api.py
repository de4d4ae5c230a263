"""Calls API: the CTI event intake, the agent's seat and state, calls, 回拨, figures."""

from django.http import HttpRequest
from ninja import Router

from hotline.tickets.schemas import ErrorOut

from . import cti, events
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
        platform, signature = cti.authenticate(request)
        batch, raw = cti.parse(request.body)
        return events.ingest(platform=platform, events=batch, raw=raw, signature=signature)
    except (cti.Refused, cti.Malformed) as exc:
        cti.count_refusal(code, exc.reason)
        raise
