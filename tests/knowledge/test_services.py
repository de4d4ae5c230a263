"""Editing and use counting: who may edit what, bad input changes nothing, uses are counted."""

from datetime import date

import pytest

from hotline.errors import Forbidden, InvalidInput
from hotline.knowledge import services
from hotline.knowledge.models import Article, IndexState

from .conftest import TODAY, grant_editor, make

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Article.objects.order_by("pk").values_list("pk", "title", "body", "revision")),
        IndexState.objects.filter(pk=1).values_list("version", flat=True).first(),
    )


def test_a_city_admin_article_defaults_to_the_city_and_center(province, editors):
    article = make(editors["fz_admin"], "福州市居住证办理")
    assert article.owner == province.units["fz"]
    assert article.region == province.regions["350100"]
    assert article.title_tokens.split() == ["福州", "州市", "福州市", "居住", "居住证", "办理"]


def test_a_province_admin_article_applies_everywhere(editors):
    assert make(editors["prov_admin"], "驾驶证换证").region is None


def test_a_plain_agent_may_not_edit(province, editors):
    before = snapshot()
    with pytest.raises(Forbidden):
        make(province.users["fz_agent"], "社保卡补办")
    assert snapshot() == before


def test_an_agent_with_the_editor_permission_may_edit_for_their_center(province, editors):
    agent = grant_editor(province.users["fz_agent"])
    article = make(agent, "社保卡补办")
    assert (article.owner.code, article.created_by) == ("fz", agent)


def test_the_editor_permission_does_not_make_a_unit_handler_an_editor(province, editors):
    handler = grant_editor(province.users["fz_housing_handler"])
    with pytest.raises(Forbidden):
        make(handler, "社保卡补办")


def test_a_city_editor_may_not_touch_a_province_article(province, editors):
    article = make(editors["prov_admin"], "社保卡补办")
    data = services.ArticleInput(title="改标题", body="改正文")
    with pytest.raises(Forbidden):
        services.update_article(article=article, by=editors["fz_admin"], data=data)
    with pytest.raises(Forbidden):
        services.retire_article(article=article, by=editors["fz_admin"])
    article.refresh_from_db()
    assert (article.title, article.retired_at) == ("社保卡补办", None)


@pytest.mark.parametrize(
    "fields, field",
    [
        pytest.param({"title": "  "}, "title", id="blank-title"),
        pytest.param({"title": "长" * 201}, "title", id="title-too-long"),
        pytest.param({"body": " \n "}, "body", id="blank-body"),
        pytest.param(
            {"valid_from": date(2026, 12, 1), "valid_until": date(2026, 11, 30)},
            "valid_until",
            id="ends-before-it-starts",
        ),
        pytest.param({"owner": "prov"}, "owner", id="owner-above-the-center"),
        pytest.param({"owner": "xm"}, "owner", id="owner-in-another-city"),
        pytest.param({"region": "350203"}, "region", id="region-in-another-city"),
        pytest.param({"region": "350000"}, "region", id="region-above-the-city"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(province, editors, fields, field):
    # given a 福州 article and the state of the knowledge base
    article = make(editors["fz_admin"], "公积金提取")
    before = snapshot()
    values = {"title": "公积金提取", "body": "正文"} | fields
    if "owner" in values:
        values["owner"] = province.units[values["owner"]]
    if "region" in values:
        values["region"] = province.regions[values["region"]]
    data = services.ArticleInput(**values)
    # when the city admin creates or updates with it
    for call in (
        lambda: services.create_article(by=editors["fz_admin"], data=data),
        lambda: services.update_article(article=article, by=editors["fz_admin"], data=data),
    ):
        with pytest.raises(InvalidInput) as err:
            call()
        # then the error names the field, in Chinese and English, and nothing changed
        assert err.value.field == field
        assert err.value.message_zh and err.value.message_en
    assert snapshot() == before


def test_a_department_below_the_center_may_own_an_article(province, editors):
    article = make(editors["fz_admin"], "失业保险金申领", owner=province.units["fz_hrss"])
    assert (article.owner.code, article.region.code) == ("fz_hrss", "350100")


def test_uses_are_counted(province, editors):
    article = make(editors["prov_admin"], "社保卡补办")
    services.record_use(article=article, by=province.users["fz_agent"])
    used = services.record_use(article=article.pk, by=province.users["gl_housing_handler"])
    assert used.use_count == 2
    assert used.last_used_at is not None


def test_a_use_does_not_renew_the_index_version(province, editors):
    article = make(editors["prov_admin"], "社保卡补办")
    before = snapshot()
    services.record_use(article=article, by=province.users["fz_agent"])
    assert snapshot() == before


@pytest.mark.parametrize("state", ["retired", "draft", "expired"])
def test_a_use_of_an_article_not_live_is_refused(province, editors, state):
    prov = editors["prov_admin"]
    article = make(
        prov,
        "社保卡补办",
        is_published=state != "draft",
        valid_until=date(2020, 1, 1) if state == "expired" else None,
    )
    if state == "retired":
        services.retire_article(article=article, by=prov)
    with pytest.raises(InvalidInput) as err:
        services.record_use(article=article, by=province.users["fz_agent"])
    assert err.value.field == "article"
    article.refresh_from_db()
    assert article.use_count == 0


@pytest.mark.parametrize(
    "ref, pk", [("KB12", 12), ("kb7", 7), ("12", 12), ("", None), ("KB", None), ("KB-1", None)]
)
def test_article_references_round_trip(ref, pk):
    assert services.parse_ref(ref) == pk


def test_search_refuses_a_user_without_membership(db):
    from hotline.orgs.models import User

    nobody = User.objects.create(username="nobody")
    with pytest.raises(Forbidden):
        services.search(user=nobody, q="社保卡", today=TODAY)
