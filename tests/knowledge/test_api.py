"""The knowledge API: who may search and edit, the one error shape on bad input, nothing changed."""

import pytest
from django.test import Client

from hotline.knowledge.models import Article
from hotline.orgs.models import User
from tests.api.helpers import assert_error, post, url

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def search(client, **params):
    return client.get(url("/knowledge/search"), params)


def put(client, path, body):
    return client.put(url(path), body, content_type="application/json")


def rows():
    return list(Article.objects.order_by("pk").values("pk", "title", "body", "retired_at"))


# ---- reading --------------------------------------------------------------------------------


def test_anonymous_search_is_401(kb):
    assert_error(search(Client(), q="社保卡"), 401, "not_authenticated", None)


@pytest.mark.parametrize(
    "username", ["fz_agent", "gl_housing_handler", "xm_dispatcher", "fz_supervisor", "admin"]
)
def test_every_member_may_search(province, kb, username):
    response = search(client_for(province.users[username]), q="社保卡丢了怎么办")
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert (item["title"], item["ref"], item["owner"]["code"]) == (
        "社保卡补办",
        f"KB{kb.card.pk}",
        "prov",
    )
    assert item["snippet"].startswith("社会保障卡丢失或损坏的")


def test_a_user_without_membership_is_refused(kb):
    nobody = User.objects.create(username="nobody")
    assert_error(search(client_for(nobody), q="社保卡"), 403, "forbidden", None)


def test_search_filters_by_region_and_category_codes(province, kb):
    client = client_for(province.users["fz_agent"])
    gulou = search(client, q="公积金提取", region="350102", category="011001", limit=1)
    siming = search(client, q="公积金提取", region="350203")
    assert [i["title"] for i in gulou.json()["items"]] == ["住房公积金提取"]
    assert siming.json()["items"] == []


@pytest.mark.parametrize(
    "params, status, field",
    [
        pytest.param({}, 422, "q", id="q-missing"),
        pytest.param({"q": "   "}, 400, "q", id="q-blank"),
        pytest.param({"q": "长" * 101}, 422, "q", id="q-too-long"),
        pytest.param({"q": "社保卡", "limit": 0}, 400, "limit", id="limit-zero"),
        pytest.param({"q": "社保卡", "limit": 51}, 400, "limit", id="limit-too-big"),
        pytest.param({"q": "社保卡", "limit": "ten"}, 422, "limit", id="limit-not-a-number"),
        pytest.param({"q": "社保卡", "region": "999999"}, 400, "region", id="unknown-region"),
        pytest.param({"q": "社保卡", "category": "9999"}, 400, "category", id="unknown-category"),
    ],
)
def test_bad_search_input(province, kb, params, status, field):
    response = search(client_for(province.users["fz_agent"]), **params)
    assert_error(response, status, "validation_error", field)


def test_detail_of_a_live_article(province, kb):
    response = client_for(province.users["gl_housing_handler"]).get(
        url(f"/knowledge/articles/{kb.card.pk}")
    )
    body = response.json()
    assert (response.status_code, body["title"], body["is_live"], body["region"]) == (
        200,
        "社保卡补办",
        True,
        None,
    )


def test_an_expired_article_is_not_found_for_an_agent_but_shown_to_its_editor(
    province, kb, editors
):
    path = url(f"/knowledge/articles/{kb.old.pk}")
    assert_error(client_for(province.users["fz_agent"]).get(path), 404, "not_found", "id")
    editor = client_for(editors["prov_admin"]).get(path)
    assert (editor.status_code, editor.json()["is_live"]) == (200, False)


# ---- editing --------------------------------------------------------------------------------

NEW = {"title": "居住证办理", "body": "携带身份证和住所证明到派出所办理。", "category": "13"}


def test_a_center_admin_creates_an_article(province, kb, editors):
    response = post(client_for(editors["fz_admin"]), "/knowledge/articles", NEW)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["owner"]["code"], body["region"]["code"], body["category"]["code"]) == (
        "fz",
        "350100",
        "13",
    )
    found = search(client_for(province.users["fz_agent"]), q="居住证怎么办")
    assert [i["title"] for i in found.json()["items"]] == ["居住证办理"]


@pytest.mark.parametrize("username", ["fz_agent", "gl_housing_handler", "fz_supervisor"])
def test_non_editors_may_not_create_update_or_retire(province, kb, username):
    client = client_for(province.users[username])
    before = rows()
    assert_error(post(client, "/knowledge/articles", NEW), 403, "forbidden", None)
    assert_error(put(client, f"/knowledge/articles/{kb.fund.pk}", NEW), 403, "forbidden", None)
    assert_error(post(client, f"/knowledge/articles/{kb.fund.pk}/retire"), 403, "forbidden", None)
    assert rows() == before


def test_anonymous_create_is_401(kb):
    assert_error(post(Client(), "/knowledge/articles", NEW), 401, "not_authenticated", None)


@pytest.mark.parametrize(
    "change, status, field",
    [
        pytest.param({"title": ""}, 400, "title", id="title-empty"),
        pytest.param({"title": "长" * 201}, 422, "title", id="title-too-long"),
        pytest.param({"body": None}, 422, "body", id="body-null"),
        pytest.param({"owner": "nope"}, 400, "owner", id="unknown-owner"),
        pytest.param({"owner": "xm"}, 400, "owner", id="owner-of-another-city"),
        pytest.param({"region": "350203"}, 400, "region", id="region-of-another-city"),
        pytest.param(
            {"valid_from": "2026-12-02", "valid_until": "2026-12-01"},
            400,
            "valid_until",
            id="ends-before-start",
        ),
        pytest.param({"valid_until": "31/12/2026"}, 422, "valid_until", id="date-not-iso"),
    ],
)
def test_bad_article_input_changes_nothing(province, kb, editors, change, status, field):
    client = client_for(editors["fz_admin"])
    before = rows()
    created = post(client, "/knowledge/articles", NEW | change)
    updated = put(client, f"/knowledge/articles/{kb.fund.pk}", NEW | change)
    body = assert_error(created, status, "validation_error", field)
    assert_error(updated, status, "validation_error", field)
    assert body["message_zh"] != body["message_en"]
    assert rows() == before


def test_update_and_retire(province, kb, editors):
    client = client_for(editors["fz_admin"])
    updated = put(client, f"/knowledge/articles/{kb.fund.pk}", NEW | {"title": "公积金租房提取"})
    retired = post(client, f"/knowledge/articles/{kb.fund.pk}/retire")
    assert (updated.status_code, updated.json()["title"]) == (200, "公积金租房提取")
    assert (retired.status_code, retired.json()["is_live"]) == (200, False)
    found = search(client_for(province.users["fz_agent"]), q="公积金租房提取")
    assert [i["title"] for i in found.json()["items"]] == ["公积金贷款额度"]


def test_unknown_article_is_404(editors):
    client = client_for(editors["fz_admin"])
    assert_error(put(client, "/knowledge/articles/999999", NEW), 404, "not_found", "id")


# ---- use ------------------------------------------------------------------------------------


def test_recording_a_use_counts_it(province, kb):
    client = client_for(province.users["fz_agent"])
    post(client, f"/knowledge/articles/{kb.card.pk}/uses")
    response = post(client, f"/knowledge/articles/{kb.card.pk}/uses")
    assert (response.status_code, response.json()) == (200, {"id": kb.card.pk, "use_count": 2})


def test_recording_a_use_of_an_expired_article_is_refused(province, kb):
    response = post(client_for(province.users["fz_agent"]), f"/knowledge/articles/{kb.old.pk}/uses")
    assert_error(response, 400, "validation_error", "article")
    kb.old.refresh_from_db()
    assert kb.old.use_count == 0


def test_anonymous_use_is_401(kb):
    response = post(Client(), f"/knowledge/articles/{kb.card.pk}/uses")
    assert_error(response, 401, "not_authenticated", None)
