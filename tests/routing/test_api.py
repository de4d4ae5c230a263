"""POST /routing/suggest and GET /tickets/{number}/suggestions: shape, input, permissions."""

import pytest

from hotline.tickets.models import Status
from tests.api.helpers import assert_error, post, url
from tests.tickets.factory import ticket_at

SUGGEST = "/routing/suggest"
DEMAND = {"title": "电梯故障", "content": "小区电梯坏了两周，物业不修", "address": "福州市台江区"}


def test_center_staff_get_category_region_and_units(client, routed):
    client.force_login(routed.users["fz_dispatcher"])

    r = post(client, SUGGEST, DEMAND)

    assert r.status_code == 200, r.content.decode()
    body = r.json()
    assert body["category"][0] == "01"
    assert body["category_names"][0] == "城乡建设"
    assert body["region"] == {"code": "350103", "name": "台江区", "words": ["福州市", "台江区"]}
    assert body["units"][0]["code"] == "tj_housing"
    assert set(body["units"][0]) == {"code", "name", "confidence", "reason"}
    assert 0 < body["confidence"] <= 1


@pytest.mark.parametrize("user", ["fz_agent", "xm_dispatcher", "prov_dispatcher", "admin"])
def test_every_center_role_may_ask(client, routed, user):
    client.force_login(routed.users[user])
    assert post(client, SUGGEST, DEMAND).status_code == 200


@pytest.mark.parametrize("user", ["gl_housing_handler", "fz_supervisor", "fz_analyst"])
def test_others_are_refused(client, routed, user):
    client.force_login(routed.users[user])
    assert_error(post(client, SUGGEST, DEMAND), 403, code="forbidden", field=None)


def test_anonymous_is_401(client, routed):
    assert_error(post(client, SUGGEST, DEMAND), 401, code="not_authenticated")


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"title": "", "content": ""}, 400, "content"),
        ({"title": "  ", "content": "\n"}, 400, "content"),
        ({}, 400, "content"),
        ({"title": "字" * 201, "content": "x"}, 422, "title"),
        ({"title": "t", "content": "字" * 50_001}, 422, "content"),
        ({"title": "t", "content": "c", "address": "址" * 201}, 422, "address"),
        ({"title": ["t"], "content": "c"}, 422, "title"),
        ({"title": "t", "content": 5}, 422, "content"),
    ],
    ids=[
        "empty",
        "blank",
        "missing",
        "long-title",
        "long-content",
        "long-address",
        "title-list",
        "content-number",
    ],
)
def test_bad_input_names_the_field_in_both_languages(client, routed, body, status, field):
    client.force_login(routed.users["fz_dispatcher"])

    r = post(client, SUGGEST, body)

    b = assert_error(r, status, code="validation_error", field=field)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in b["message_zh"])


@pytest.mark.parametrize(
    "content",
    ["字" * 50_000, "🙂😡💢" * 100, "\x01\x1b[0m\x7f", "The street light is broken."],
    ids=["50k", "emoji", "control", "english"],
)
def test_odd_but_valid_input_is_answered(client, routed, content):
    client.force_login(routed.users["fz_dispatcher"])

    r = post(client, SUGGEST, {"title": "", "content": content})

    assert r.status_code == 200, r.content.decode()
    assert len(r.json()["category"]) == 3


def test_ticket_suggestions_in_scope(client, routed):
    t = ticket_at(routed, Status.PENDING_DISPATCH)
    client.force_login(routed.users["fz_dispatcher"])

    r = client.get(url(f"/tickets/{t.number}/suggestions"))

    assert r.status_code == 200, r.content.decode()
    assert r.json()["region"]["code"] == "350102"  # the ticket's own region
    assert r.json()["units"][0]["code"] == "gl_housing"


def test_ticket_suggestions_outside_scope_is_404(client, routed):
    t = ticket_at(routed, Status.PENDING_DISPATCH)
    client.force_login(routed.users["xm_dispatcher"])

    assert_error(client.get(url(f"/tickets/{t.number}/suggestions")), 404, code="not_found")


def test_ticket_suggestions_for_a_unit_in_scope_is_403(client, routed):
    t = ticket_at(routed, Status.DISPATCHED)
    client.force_login(routed.users["gl_housing_handler"])

    assert_error(client.get(url(f"/tickets/{t.number}/suggestions")), 403, code="forbidden")
