"""A NUL character (U+0000) in a request is bad input, named by field, never a 500:
PostgreSQL text cannot hold it (schemathesis found POST /api/v1/tickets answering 500)."""

import pytest

from hotline.tickets.models import Ticket

from .helpers import assert_error, post, url

pytestmark = pytest.mark.django_db

DEMAND = {
    "channel": "phone",
    "appeal_type": "complaint",
    "title": "小区电梯长期故障",
    "content": "鼓楼区某小区3号楼电梯停运两周，物业不修，老人上下楼困难。",
    "citizen_name": "张三",
    "citizen_phone": "13800000001",
    "region": "350102",
    "address": "鼓楼区鼓东街道某小区3号楼",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"title": "电梯\x00故障"}, "title", id="in a text field"),
        pytest.param({"address": "\x00"}, "address", id="only NUL"),
    ],
)
def test_a_registration_with_nul_is_refused_and_makes_nothing(client, province, change, field):
    client.force_login(province.users["fz_agent"])
    body = DEMAND | change

    response = post(client, "/tickets", body)

    assert_error(response, 400, code="validation_error", field=field)
    assert Ticket.objects.count() == 0


def test_nul_in_a_list_names_its_position(client, province):
    client.force_login(province.users["fz_agent"])
    body = DEMAND | {"tags": ["ok", "a\x00"]}

    assert_error(post(client, "/tickets", body), 400, field="tags.1")


def test_nul_in_a_query_string_is_refused(client, province):
    client.force_login(province.users["fz_agent"])

    assert_error(client.get(url("/tickets"), {"q": "a\x00b"}), 400, field="q")
