"""The admin in Chinese, with the API's rules: editors see and change their centers' articles."""

import pytest
from django.test import Client

from hotline.knowledge.models import Article, SynonymGroup

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/knowledge/article/"


def staff_client(user) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def test_a_city_admin_sees_only_the_city_articles(kb, editors):
    response = staff_client(editors["fz_admin"]).get(CHANGELIST)
    text = response.content.decode()
    assert response.status_code == 200
    assert "知识条目" in text
    assert ("住房公积金提取" in text, "公积金贷款额度" in text, "社保卡补办" in text) == (
        True,
        True,
        False,
    )


def test_a_city_admin_cannot_open_a_province_article(kb, editors):
    response = staff_client(editors["fz_admin"]).get(f"{CHANGELIST}{kb.card.pk}/change/")
    assert response.status_code == 302  # the admin redirects "does not exist" to its index


def test_search_in_the_admin(kb, province):
    response = staff_client(province.users["admin"]).get(CHANGELIST, {"q": "停水"})
    text = response.content.decode()
    assert ("厦门停水查询" in text, "社保卡补办" in text) == (True, False)


def test_a_plain_agent_has_no_knowledge_admin(kb, province):
    response = staff_client(province.users["fz_agent"]).get(CHANGELIST)
    assert response.status_code == 403


def test_adding_through_the_admin_runs_the_service_checks(province, kb, editors):
    # given a city admin who tries to publish for 思明区 (厦门)
    client = staff_client(editors["fz_admin"])
    before = Article.objects.count()
    form = {
        "title": "居住证办理",
        "body": "到派出所办理。",
        "owner": province.units["fz"].pk,
        "region": province.regions["350203"].pk,
        "is_published": "on",
    }
    refused = client.post(f"{CHANGELIST}add/", form)
    # then the form shows the Chinese reason on the field and nothing is saved
    assert refused.status_code == 200
    assert "适用区划须在维护单位所在区划之内" in refused.content.decode()
    assert Article.objects.count() == before
    # when the region is left empty, the article is saved with the city's region and tokens
    saved = client.post(f"{CHANGELIST}add/", form | {"region": ""})
    article = Article.objects.get(title="居住证办理")
    assert (saved.status_code, article.region.code, article.created_by) == (
        302,
        "350100",
        editors["fz_admin"],
    )
    assert "居住证" in article.title_tokens.split()


def test_saving_a_synonym_in_the_admin_renews_the_index(province, kb, editors):
    client = staff_client(editors["prov_admin"])
    response = client.post(
        "/admin/knowledge/synonymgroup/add/", {"terms": "医疗卡 => 社保卡", "is_active": "on"}
    )
    assert response.status_code == 302
    assert SynonymGroup.objects.count() == 1
    from hotline.knowledge import services

    hits = services.search(user=province.users["fz_agent"], q="医疗卡")
    assert [h.article.title for h in hits] == ["社保卡补办"]
