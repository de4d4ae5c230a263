import time

import pytest

from hotline.exchange import signing
from hotline.tickets.models import Channel, Status, Ticket

from .conftest import item


def test_a_batch_registers_each_work_order_at_the_subcenter(push, system):
    response = push([item("A1"), item("A2")])

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["existing"], body["rejected"]) == (2, 0, 0)
    t = Ticket.objects.get(number=body["items"][0]["number"])
    assert t.channel == Channel.SUBCENTER
    assert t.external_ref == "fzsub:A1"
    assert t.center == system.unit
    assert t.status == Status.REGISTERED


def test_a_batch_retried_after_a_dropped_connection_creates_each_ticket_once(push):
    # The first attempt got through for the first two items before the connection dropped.
    push([item("B1"), item("B2")])

    retry = push([item("B1"), item("B2"), item("B3")]).json()

    assert [i["result"] for i in retry["items"]] == ["existing", "existing", "created"]
    assert Ticket.objects.filter(external_ref__startswith="fzsub:B").count() == 3


def test_the_same_id_twice_in_one_batch_is_one_ticket(push):
    body = push([item("C1"), item("C1")]).json()

    assert [i["result"] for i in body["items"]] == ["created", "existing"]
    assert body["items"][0]["number"] == body["items"][1]["number"]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        pytest.param({"appeal_type": "gossip"}, "appeal_type", id="unknown-appeal-type"),
        pytest.param({"title": ""}, "title", id="empty-title"),
        pytest.param({"region": "350203"}, "region", id="region-outside-the-subcenter"),
        pytest.param({"citizen_phone": "call me"}, "citizen_phone", id="bad-phone"),
        pytest.param({"category": "nope"}, "category", id="unknown-category"),
        pytest.param({"external_id": "x" * 40}, "external_id", id="external-id-too-long"),
    ],
)
def test_a_bad_item_is_rejected_with_its_reason_while_the_good_ones_go_in(push, bad, field):
    body = push([item("D1"), item("D2", **bad), item("D3")]).json()

    assert [i["result"] for i in body["items"]] == ["created", "rejected", "created"]
    rejected = body["items"][1]
    assert rejected["field"] == field
    assert rejected["message_zh"] and rejected["message_en"]
    assert Ticket.objects.filter(external_ref__startswith="fzsub:D").count() == 2


def test_an_item_that_is_not_an_object_is_rejected(push):
    body = push([item("E1"), "oops"]).json()

    assert [i["result"] for i in body["items"]] == ["created", "rejected"]


def test_more_than_1000_items_is_refused_and_creates_nothing(push):
    response = push([item(f"F{i}") for i in range(1001)])

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert not Ticket.objects.exists()


def test_a_wrong_signature_is_refused_and_creates_nothing(push):
    response = push([item("G1")], secret="not-the-secret")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "field": signing.SIGNATURE_HEADER,
        "message_zh": "签名不正确",
        "message_en": "wrong signature",
    }
    assert not Ticket.objects.exists()


def test_a_stale_timestamp_is_refused_and_creates_nothing(push):
    response = push([item("G2")], now=time.time() - 301)

    assert response.status_code == 401
    assert response.json()["field"] == signing.TIMESTAMP_HEADER
    assert not Ticket.objects.exists()


def test_an_unknown_or_inactive_system_is_refused(push, system):
    system.is_active = False
    system.save()

    response = push([item("G3")])

    assert response.status_code == 401
    assert response.json()["field"] == signing.SYSTEM_HEADER


def test_without_signature_headers_it_is_401(client, system):
    response = client.post(
        "/api/v1/exchange/tickets", {"tickets": [item("G4")]}, content_type="application/json"
    )

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_user_token_cannot_push_work_orders(client, province):
    from hotline.orgs.services import issue_token

    _, key = issue_token(user=province.users["fz_agent"], name="t")
    response = client.post(
        "/api/v1/exchange/tickets",
        {"tickets": [item("G5")]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 401
