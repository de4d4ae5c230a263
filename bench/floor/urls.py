"""POST /api/v1/tickets: validate the demand, then in one transaction insert a numbered
ticket, its event and its outbox row; 201 with the number. Nothing else: no auth, no scope,
no screening, no hash chain, no deadline. The tables are in schema.py."""

import json

from django.db import connection, transaction
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja import Status as HttpStatus

api = NinjaAPI(urls_namespace="floor")


class DemandIn(Schema):
    channel: str
    appeal_type: str
    urgency: str = "normal"
    title: str
    content: str
    citizen_name: str = ""
    citizen_phone: str = ""
    region: str
    address: str = ""
    external_ref: str | None = None


@api.post("/tickets", response={201: dict})
def register(request, payload: DemandIn):
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO floor_ticket (number, channel, external_ref, appeal_type, title, content,"
            " citizen_name, citizen_phone, region, address, status, created_at) VALUES ("
            "to_char(%s::timestamptz, 'YYYYMMDD') || lpad(nextval('floor_number')::text, 6, '0'),"
            " %s, %s, %s, %s, %s, %s, %s, %s, %s, 'registered', %s) RETURNING id, number",
            [now, payload.channel, payload.external_ref, payload.appeal_type, payload.title,
             payload.content, payload.citizen_name, payload.citizen_phone, payload.region,
             payload.address, now],
        )  # fmt: skip
        ticket_id, number = cursor.fetchone()
        data = json.dumps({"channel": payload.channel}, ensure_ascii=False)
        cursor.execute(
            "INSERT INTO floor_event (ticket_id, seq, action, data, created_at) "
            "VALUES (%s, 1, 'register', %s, %s) RETURNING id",
            [ticket_id, data, now],
        )
        (event_id,) = cursor.fetchone()
        payload_json = json.dumps({"ticket": number, "action": "register"}, ensure_ascii=False)
        cursor.execute(
            "INSERT INTO floor_outbox (ticket_id, event_id, topic, payload, created_at) "
            "VALUES (%s, %s, 'ticket.register', %s, %s)",
            [ticket_id, event_id, payload_json, now],
        )
    return HttpStatus(201, {"number": number})


urlpatterns = [path("api/v1/", api.urls)]
