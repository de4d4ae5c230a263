"""The published JSON Schema of the exchange format, generated from the API's own schemas.

`hotline exchange schema` writes it to docs/exchange-schema-v1.json; a test fails when the
file and the code drift apart.
"""

import json

from pydantic.json_schema import models_json_schema

from hotline.catalog.models import AppealType, Urgency
from hotline.tickets.models import Channel, Satisfaction, Status

from .schemas import (
    FORMAT_VERSION,
    MAX_BATCH,
    BatchOut,
    EventOut,
    EventPage,
    ExchangeTicketIn,
    StatusBatchOut,
    StatusUpdateIn,
)

# Where each field of a work order lands on the ticket (hotline/tickets/models.py).
MAPPING = {
    "external_id": 'Ticket.external_ref = "{system code}:{external_id}", channel "subcenter"',
    "appeal_type": "Ticket.appeal_type",
    "title": "Ticket.title",
    "content": "Ticket.content",
    "urgency": "Ticket.urgency (screening may raise it to critical)",
    "citizen_name": "Ticket.citizen_name",
    "citizen_phone": "Ticket.citizen_phone",
    "anonymous": "Ticket.anonymous",
    "confidential": "Ticket.confidential",
    "category": "Ticket.category (Category.code)",
    "region": "Ticket.region (GB/T 2260 code; default: the system's center's region)",
    "address": "Ticket.address",
    "latitude": "Ticket.latitude",
    "longitude": "Ticket.longitude",
    "self_handled": "exchange.SelfHandledTicket (status moves only by POST /exchange/status)",
    "(system)": "Ticket.center = ConnectedSystem.unit; Ticket.registered_by = its service user",
}


def _codes(choices) -> dict:
    return {value: str(label) for value, label in choices.choices}


def exchange_schema() -> dict:
    _, defs = models_json_schema(
        [
            (m, "validation")
            for m in (
                ExchangeTicketIn,
                BatchOut,
                EventOut,
                EventPage,
                StatusUpdateIn,
                StatusBatchOut,
            )
        ],
        ref_template="#/$defs/{model}",
    )
    defs = defs["$defs"]
    defs["Batch"] = {
        "type": "object",
        "title": "Batch",
        "description": "POST /api/v1/exchange/tickets：一次 1–1000 张工单 / one to 1,000 orders",
        "required": ["tickets"],
        "properties": {
            "version": {"const": FORMAT_VERSION, "default": FORMAT_VERSION},
            "tickets": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "items": {"$ref": "#/$defs/ExchangeTicketIn"},
            },
        },
    }
    defs["StatusBatch"] = {
        "type": "object",
        "title": "StatusBatch",
        "description": "POST /api/v1/exchange/status：自办件状态报送，一次 1–1000 条 / "
        "status reports on self-handled tickets",
        "required": ["updates"],
        "properties": {
            "version": {"const": FORMAT_VERSION, "default": FORMAT_VERSION},
            "updates": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "items": {"$ref": "#/$defs/StatusUpdateIn"},
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:hotline12345:exchange:v{FORMAT_VERSION}",
        "title": f"12345 一张网 标准工单交换格式 v{FORMAT_VERSION} / standard work-order exchange",
        "$ref": "#/$defs/Batch",
        "$defs": defs,
        "x-code-lists": {
            "channel": _codes(Channel),
            "appeal_type": _codes(AppealType),
            "urgency": _codes(Urgency),
            "status": _codes(Status),
            "satisfaction": _codes(Satisfaction),
        },
        "x-mapping": MAPPING,
    }


def dumps() -> str:
    return json.dumps(exchange_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
