import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from hotline.tickets.models import Channel, Status, Ticket
from tests.tickets.factory import ticket_at

BASE = "/open311/v2"


def _post(client, key, fmt="json", **fields):
    data = {
        "api_key": key,
        "service_code": "010101",
        "description": "3号楼电梯停运两周，老人上下楼困难。",
        "lat": "26.08",
        "long": "119.30",
        "address_string": "鼓楼区鼓东街道某小区3号楼",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800000003",
    }
    data.update(fields)
    return client.post(f"{BASE}/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def _errors(response):
    return [(e["code"], bool(e["description"])) for e in response.json()]


# ---- discovery and services ---------------------------------------------------------------


def test_discovery_lists_the_v2_endpoint_in_both_formats(client, db):
    doc = client.get(f"{BASE}/discovery.json").json()

    assert doc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert doc["endpoints"][0]["formats"] == ["text/xml", "application/json"]


def test_services_come_from_the_category_tree(client, categories, validate):
    doc = client.get(f"{BASE}/services.json").json()

    validate("services.json", doc)
    assert [(s["service_code"], s["group"]) for s in doc] == [
        ("01", "城乡建设"),
        ("0101", "城乡建设"),
        ("010101", "城乡建设"),
        ("02", "劳动保障"),
    ]


def test_services_in_xml(client, categories):
    response = client.get(f"{BASE}/services.xml")

    root = ET.fromstring(response.content)
    assert response["Content-Type"].startswith("text/xml")
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        "01",
        "0101",
        "010101",
        "02",
    ]
    assert root.find("service").findtext("metadata") == "true"


def test_service_definition_offers_the_appeal_types(client, categories, validate):
    doc = client.get(f"{BASE}/services/010101.json").json()

    validate("service-definition.json", doc)
    assert doc["attributes"][0]["code"] == "appeal_type"
    assert "complaint" in [v["key"] for v in doc["attributes"][0]["values"]]


def test_unknown_service_is_a_404_in_the_specs_error_format(client, categories):
    response = client.get(f"{BASE}/services/999.json")

    assert response.status_code == 404
    assert _errors(response) == [(404, True)]


# ---- POST requests ------------------------------------------------------------------------


def test_post_request_registers_an_open311_ticket(client, categories, api_key):
    response = _post(client, api_key, **{"attribute[appeal_type]": "complaint"})

    assert response.status_code == 201
    number = response.json()[0]["service_request_id"]
    t = Ticket.objects.get(number=number)
    assert (t.channel, t.status, t.appeal_type) == (Channel.OPEN311, Status.REGISTERED, "complaint")
    assert t.category.code == "010101"
    assert t.citizen_name == "张三"


def test_post_request_in_xml(client, categories, api_key):
    response = _post(client, api_key, fmt="xml")

    root = ET.fromstring(response.content)
    assert response.status_code == 201
    assert root.tag == "service_requests"
    assert root.find("request").findtext("service_request_id")


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        pytest.param({"api_key": None}, 403, id="no-api-key"),
        pytest.param({"api_key": "hl_wrong"}, 403, id="wrong-api-key"),
        pytest.param({"service_code": "999"}, 400, id="unknown-service"),
        pytest.param({"lat": None, "long": None, "address_string": None}, 400, id="no-location"),
        pytest.param({"description": ""}, 400, id="no-description"),
        pytest.param({"attribute[appeal_type]": "gossip"}, 400, id="bad-appeal-type"),
        pytest.param({"lat": "north"}, 400, id="bad-latitude"),
    ],
)
def test_bad_post_is_refused_in_the_specs_error_format(client, categories, api_key, fields, status):
    response = _post(client, api_key, **fields)

    assert response.status_code == status
    assert _errors(response) == [(status, True)]
    assert not Ticket.objects.exists()


def test_error_in_xml(client, categories, api_key):
    response = _post(client, api_key, fmt="xml", service_code="999")

    root = ET.fromstring(response.content)
    assert (root.tag, root.find("error").findtext("code")) == ("errors", "400")


# ---- GET requests -------------------------------------------------------------------------


@pytest.fixture
def posted(client, categories, api_key):
    return [_post(client, api_key).json()[0]["service_request_id"] for _ in range(3)]


def _get(client, fmt="json", **params):
    return client.get(f"{BASE}/requests.{fmt}", params)


def test_get_requests_lists_what_was_posted_and_validates(client, posted, validate):
    doc = _get(client).json()

    validate("requests.json", doc)
    assert [r["service_request_id"] for r in doc] == list(reversed(posted))
    assert doc[0]["status"] == "open"
    assert doc[0]["status_notes"] == "待受理 (registered)"


def test_get_requests_in_xml(client, posted):
    root = ET.fromstring(_get(client, fmt="xml").content)

    assert [r.findtext("service_request_id") for r in root.findall("request")] == list(
        reversed(posted)
    )


def test_the_public_sees_only_open311_tickets_and_a_key_sees_its_scope(
    client, posted, province, api_key
):
    phone_ticket = ticket_at(province, Status.REGISTERED)

    public = {r["service_request_id"] for r in _get(client).json()}
    keyed = {r["service_request_id"] for r in _get(client, api_key=api_key).json()}

    assert public == set(posted)
    assert keyed == {*posted, phone_ticket.number}


def test_a_closed_ticket_is_closed_with_the_reviewed_reply_in_status_notes(
    client, province, api_key, validate
):
    t = ticket_at(province, Status.CLOSED)

    doc = client.get(f"{BASE}/requests/{t.number}.json", {"api_key": api_key}).json()

    validate("requests.json", doc)
    assert doc[0]["status"] == "closed"
    assert doc[0]["status_notes"] == "已办结 (closed)：已督促物业维修，电梯已恢复运行。"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"status": "open"}, 3, id="open"),
        pytest.param({"status": "closed"}, 0, id="closed"),
        pytest.param({"service_code": "02"}, 0, id="other-service"),
        pytest.param({"service_code": "02,010101"}, 3, id="service-list"),
        pytest.param({"page_size": "2"}, 2, id="page-1"),
        pytest.param({"page_size": "2", "page": "2"}, 1, id="page-2"),
        pytest.param({"start_date": "2000-01-01T00:00:00Z"}, 3, id="since-2000"),
        pytest.param({"end_date": "2000-01-01T00:00:00Z"}, 0, id="until-2000"),
    ],
)
def test_get_requests_filters(client, posted, params, expected):
    assert len(_get(client, **params).json()) == expected


def test_get_requests_defaults_to_the_last_90_days(client, posted):
    Ticket.objects.filter(number=posted[0]).update(created_at=timezone.now() - timedelta(days=91))

    listed = [r["service_request_id"] for r in _get(client).json()]

    assert posted[0] not in listed
    assert len(listed) == 2


def test_get_requests_updated_after(client, posted):
    later = timezone.now() + timedelta(minutes=1)
    Ticket.objects.filter(number=posted[1]).update(updated_at=later + timedelta(minutes=1))

    listed = [r["service_request_id"] for r in _get(client, updated_after=later.isoformat()).json()]

    assert listed == [posted[1]]


def test_get_requests_by_id_ignores_the_other_filters(client, posted):
    doc = _get(client, service_request_id=f"{posted[0]},{posted[2]}", status="closed").json()

    assert {r["service_request_id"] for r in doc} == {posted[0], posted[2]}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"status": "pending"}, id="bad-status"),
        pytest.param({"start_date": "yesterday"}, id="bad-date"),
        pytest.param({"page_size": "1001"}, id="page-too-large"),
        pytest.param({"api_key": "hl_wrong"}, id="wrong-key"),
    ],
)
def test_bad_get_is_refused_in_the_specs_error_format(client, posted, params):
    response = _get(client, **params)

    assert response.status_code in (400, 403)
    assert _errors(response) == [(response.status_code, True)]


def test_unknown_request_is_404(client, posted):
    response = client.get(f"{BASE}/requests/nope.json")

    assert response.status_code == 404
    assert json.loads(response.content)[0]["code"] == 404
