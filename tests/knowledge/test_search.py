"""Search: segmentation and near terms, ranking, validity, region and category filters, sync."""

import pytest

from hotline.knowledge import services
from hotline.knowledge.index import KnowledgeIndex
from hotline.knowledge.models import SynonymGroup
from hotline.knowledge.tokens import expand, parse_synonyms, tokenize

from .conftest import TODAY, make, titles

pytestmark = pytest.mark.django_db


def find(user, q, **kw):
    return titles(services.search(user=user, q=q, today=TODAY, **kw))


def test_lost_card_question_finds_the_card_article_first(province, kb):
    # given the province's 社保卡补办 article and the citizen's own words
    # when an agent searches them
    found = find(province.users["fz_agent"], "社保卡丢了怎么办")
    # then 社保卡补办 comes first, before anything merely about other cards
    assert found == ["社保卡补办"]


def test_full_width_and_case_are_normalised_before_matching(province, kb):
    assert find(province.users["fz_agent"], "社保卡　丢了！") == ["社保卡补办"]


def test_near_terms_widen_the_query():
    # given 丢了 segmented as 丢 + 了 and the built-in list
    table = parse_synonyms(["丢 丢了 => 补办 挂失", "驾照 驾驶证"])
    # when the query tokens are expanded
    weights = expand(tokenize("驾照丢了"), table)
    # then typed terms weigh 1.0, near terms 0.6 (丢了 is segmented back to 丢), and a one-way
    # line does not widen back from 补办
    assert weights == {"驾照": 1.0, "丢": 1.0, "驾驶": 0.6, "驾驶证": 0.6, "补办": 0.6, "挂失": 0.6}
    assert "补办" not in table


def test_questions_only_made_of_stop_words_find_nothing(province, kb):
    assert find(province.users["fz_agent"], "怎么办？") == []


def test_title_match_ranks_above_body_match(province, kb):
    # given 住房公积金提取 (title) and 公积金贷款额度 (提取 only in the body)
    found = find(province.users["fz_agent"], "公积金怎么提取")
    # then the title match comes first; both mention 公积金
    assert found == ["住房公积金提取", "公积金贷款额度"]


def test_expired_and_not_yet_valid_articles_are_hidden(province, kb):
    found = find(province.users["fz_agent"], "社保卡补办流程")
    assert "旧版社保卡补办流程" not in found
    assert "新版社保卡补办流程" not in found
    assert found == ["社保卡补办"]


def test_the_not_yet_valid_article_appears_on_its_first_day(province, kb):
    from datetime import timedelta

    found = titles(
        services.search(
            user=province.users["fz_agent"], q="新版社保卡补办流程", today=TODAY + timedelta(days=1)
        )
    )
    assert found[0] == "新版社保卡补办流程"


def test_unpublished_and_retired_articles_are_hidden(province, kb, editors):
    # given the 公积金 article retired and a draft on the same matter
    services.retire_article(article=kb.fund, by=editors["fz_admin"])
    make(editors["fz_admin"], "公积金提取草稿", "公积金提取", is_published=False)
    # when searching
    found = find(province.users["fz_agent"], "公积金提取")
    # then neither shows
    assert found == ["公积金贷款额度"]


@pytest.mark.parametrize(
    "region, expected",
    [
        pytest.param("350102", ["住房公积金提取", "公积金贷款额度"], id="fuzhou-article-in-gulou"),
        pytest.param("350100", ["住房公积金提取", "公积金贷款额度"], id="fuzhou-article-in-fuzhou"),
        pytest.param("350203", [], id="fuzhou-article-not-in-siming"),
        pytest.param("350000", [], id="city-article-not-province-wide"),
    ],
)
def test_a_city_article_applies_to_its_city_and_below(province, kb, region, expected):
    found = find(province.users["fz_agent"], "公积金提取", region=province.regions[region])
    assert found == expected


def test_a_province_article_applies_everywhere(province, kb):
    for code in ("350102001000", "350203", "350000"):
        assert find(province.users["fz_agent"], "社保卡补办", region=province.regions[code]) == [
            "社保卡补办"
        ]


def test_a_xiamen_article_is_hidden_for_a_fuzhou_ticket(province, kb):
    agent = province.users["fz_agent"]
    assert find(agent, "停水", region=province.regions["350102"]) == []
    assert find(agent, "停水", region=province.regions["350203"]) == ["厦门停水查询"]


@pytest.mark.parametrize(
    "category, expected",
    [
        pytest.param("150205", ["社保卡补办"], id="article-of-a-category-above"),
        pytest.param("15", ["社保卡补办"], id="article-of-the-category"),
        pytest.param("011001", [], id="article-of-another-branch"),
    ],
)
def test_category_filter_keeps_the_branch(province, kb, categories, category, expected):
    found = find(province.users["fz_agent"], "社保卡补办", category=categories[category])
    assert found == expected


def test_category_filter_keeps_articles_below_and_without_category(province, kb, categories):
    agent = province.users["fz_agent"]
    # 住房公积金 articles sit under 城乡建设; 厦门停水查询 has no category
    assert find(agent, "公积金提取", category=categories["01"]) == [
        "住房公积金提取",
        "公积金贷款额度",
    ]
    assert find(agent, "停水", category=categories["15"]) == ["厦门停水查询"]


def test_a_synonym_added_in_the_admin_table_applies_to_the_next_search(province, kb, editors):
    agent = province.users["fz_agent"]
    assert find(agent, "医疗卡") == []
    SynonymGroup.objects.create(terms="医疗卡 => 社保卡")
    services.touch_index()
    assert find(agent, "医疗卡") == ["社保卡补办"]


def test_another_worker_sees_an_edit_on_its_next_search(province, kb, editors):
    # given a second worker's index, built before the edit
    other = KnowledgeIndex()
    other.sync()
    before = other.search({"积分": 1.0}, today=TODAY)
    # when an editor (through this worker) rewrites the article
    data = services.ArticleInput(title="公积金贷款额度", body="额度与缴存积分有关。")
    services.update_article(article=kb.fund_loan, by=editors["fz_admin"], data=data)
    other.sync()
    # then the other worker finds it by its new words, and nothing else changed there
    assert before == []
    assert [pk for pk, _ in other.search({"积分": 1.0}, today=TODAY)] == [kb.fund_loan.pk]
    assert len(other.docs) == 6


def test_a_deleted_article_leaves_every_worker(province, kb):
    other = KnowledgeIndex()
    other.sync()
    services.delete_article(article=kb.xm_water, by=province.users["admin"])
    other.sync()
    assert kb.xm_water.pk not in other.docs
    assert "停水" not in other.postings


def test_rebuild_tokens_keeps_results(province, kb):
    assert services.rebuild_tokens() == 6
    assert find(province.users["fz_agent"], "社保卡丢了怎么办") == ["社保卡补办"]


def test_a_common_word_only_reorders_what_rarer_words_found(province, editors, monkeypatch):
    # given 办理 in every article, 居住证 in two, and the shortcut on for a small collection
    monkeypatch.setattr("hotline.knowledge.index.COMMON_MIN", 0)
    prov = editors["prov_admin"]
    for title in ["居住证办理", "居住证签注", "护照办理", "驾驶证办理", "户口办理", "社保卡办理"]:
        make(prov, title, f"{title}。请到窗口办理。")
    # when searching both words
    found = find(province.users["fz_agent"], "居住证办理")
    # then only the 居住证 articles come back, the one with 办理 in its title first
    assert found == ["居住证办理", "居住证签注"]
