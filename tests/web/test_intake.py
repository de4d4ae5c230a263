import pytest

from hotline.crypto import phone_q
from hotline.tickets.models import Status, Ticket, TicketEvent
from tests.tickets.factory import ticket_at

from .helpers import HX, as_user, text

pytestmark = pytest.mark.django_db

FORM = {
    "citizen_phone": "13900000009",
    "citizen_name": "李四",
    "appeal_type": "complaint",
    "category_name": "",
    "region_1": "350102",
    "address": "鼓楼区东街口",
    "urgency": "urgent",
    "content": "路灯坏了一个月没人修，晚上出行不安全。",
    "action": "register",
}


def test_the_agent_registers_a_call_that_then_awaits_dispatch(client, province):
    response = as_user(client, province, "fz_agent").post("/intake/", FORM, **HX)
    assert response.status_code == 200
    t = Ticket.objects.get(phone_q("13900000009"))
    assert t.status == Status.PENDING_DISPATCH
    assert t.channel == "phone"
    assert t.region.code == "350102"
    assert t.urgency == "urgent"
    assert t.title == "路灯坏了一个月没人修，晚上出行不安全。"
    assert f"已受理，工单编号 {t.number}" in text(response)
    # The fresh form comes back empty for the next call.
    assert 'value="13900000009"' not in text(response)


def test_the_deepest_chosen_region_wins_and_a_category_path_is_resolved(client, province):
    from hotline.catalog.models import Category

    cat = Category.objects.create(code="99", name="路灯", level=1, full_name="市政/路灯")
    form = {**FORM, "region_2": "350102001000", "category_name": "市政/路灯"}
    as_user(client, province, "fz_agent").post("/intake/", form)
    t = Ticket.objects.get(phone_q("13900000009"))
    assert t.region.code == "350102001000"
    assert t.category == cat


@pytest.mark.parametrize(
    "change, message",
    [
        ({"content": ""}, "诉求内容不能为空"),
        ({"citizen_phone": "abc"}, "联系电话格式不正确"),
        ({"appeal_type": "nonsense"}, "诉求类型取值无效"),
        ({"category_name": "不存在的分类"}, "诉求分类不存在"),
        ({"region_1": "350203"}, "不在「福州市12345热线中心」的辖区内"),
        ({"action": "resolve", "reply": ""}, "答复内容不能为空"),
    ],
    ids=["no-content", "bad-phone", "bad-type", "bad-category", "foreign-region", "no-reply"],
)
def test_bad_input_is_explained_in_chinese_and_saves_nothing(client, province, change, message):
    response = as_user(client, province, "fz_agent").post("/intake/", {**FORM, **change})
    assert response.status_code == 400
    assert message in text(response)
    assert Ticket.objects.count() == 0
    # What the agent typed stays in the form.
    assert "鼓楼区东街口" in text(response)


def test_resolve_at_intake_closes_the_ticket_with_the_reply(client, province):
    form = {**FORM, "action": "resolve", "reply": "已告知市民路灯报修电话。"}
    response = as_user(client, province, "fz_agent").post("/intake/", form, **HX)
    t = Ticket.objects.get(phone_q("13900000009"))
    assert t.status == Status.CLOSED
    assert t.reply == "已告知市民路灯报修电话。"
    assert "已直接办结" in text(response)
    assert TicketEvent.objects.get(ticket=t).action == "resolve_at_intake"


def test_the_caller_history_shows_earlier_tickets_in_my_scope_only(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    page = text(
        as_user(client, province, "fz_agent").get(
            "/intake/history/", {"citizen_phone": "13800000001"}
        )
    )
    assert t.number in page
    assert "待签收" in page
    client.force_login(province.users["xm_agent"])
    page = text(client.get("/intake/history/", {"citizen_phone": "13800000001"}))
    assert t.number not in page
    assert "无历史工单" in page


@pytest.mark.parametrize("phone", ["", "abc'; drop", "1" * 200])
def test_the_caller_history_ignores_what_is_not_a_phone(client, province, phone):
    ticket_at(province, Status.DISPATCHED)
    response = as_user(client, province, "fz_agent").get(
        "/intake/history/", {"citizen_phone": phone}
    )
    assert response.status_code == 200
    assert "13800000001" not in text(response)


def test_the_category_search_finds_paths_by_words(client, province):
    from hotline.catalog.models import Category

    root = Category.objects.create(code="01", name="城乡建设", level=1, full_name="城乡建设")
    Category.objects.create(
        code="0101", name="物业管理", level=2, parent=root, full_name="城乡建设/物业管理"
    )
    page = text(
        as_user(client, province, "fz_agent").get("/intake/categories/", {"category_name": "物业"})
    )
    assert 'data-value="城乡建设/物业管理"' in page
    assert (
        text(client.get("/intake/categories/", {"category_name": "城乡 物业"})).count(
            'role="option"'
        )
        == 1
    )


def test_the_region_cascade_offers_the_next_level(client, province):
    page = text(
        as_user(client, province, "fz_agent").get("/intake/regions/", {"region_1": "350102"})
    )
    assert "鼓楼区" in page
    assert "鼓东街道" in page
    assert "思明区" not in page


def test_the_intake_page_is_for_agents_only(client, province):
    assert as_user(client, province, "fz_dispatcher").get("/intake/").status_code == 404
    assert client.get("/intake/history/").status_code == 404


def _article(province):
    from hotline.knowledge.services import ArticleInput, create_article

    return create_article(
        by=province.users["admin"],
        data=ArticleInput(
            title="社保卡补办",
            body="社保卡遗失后，可携带身份证到任一社保服务网点挂失并补办，也可在闽政通办理。",
            owner=province.units["fz"],
        ),
    )


def test_the_knowledge_search_finds_the_article_for_the_callers_words(client, province):
    article = _article(province)
    page = text(as_user(client, province, "fz_agent").get("/intake/kb/", {"q": "社保卡丢了怎么办"}))
    assert "社保卡补办" in page
    assert f'data-ref="KB{article.pk}"' in page


@pytest.mark.parametrize("q", ["", "x" * 500])
def test_the_knowledge_search_takes_bad_queries_calmly(client, province, q):
    response = as_user(client, province, "fz_agent").get("/intake/kb/", {"q": q})
    assert response.status_code == 200


def test_resolve_at_intake_citing_an_article_counts_its_use(client, province):
    article = _article(province)
    form = {
        **FORM,
        "action": "resolve",
        "reply": "可到社保服务网点挂失补办。",
        "article": f"KB{article.pk}",
    }
    as_user(client, province, "fz_agent").post("/intake/", form, **HX)
    t = Ticket.objects.get(phone_q("13900000009"))
    assert t.status == Status.CLOSED
    event = TicketEvent.objects.get(ticket=t)
    assert event.data["article"] == f"KB{article.pk}"
    article.refresh_from_db()
    assert article.use_count == 1
    page = text(client.get(f"/t/{t.number}/"))
    assert f"引用知识：KB{article.pk}" in page


@pytest.mark.parametrize("ref", ["KB999999", "nonsense"])
def test_resolve_citing_an_unknown_article_saves_nothing(client, province, ref):
    form = {**FORM, "action": "resolve", "reply": "可到社保服务网点挂失补办。", "article": ref}
    response = as_user(client, province, "fz_agent").post("/intake/", form)
    assert response.status_code == 400
    assert "知识" in text(response)
    assert Ticket.objects.count() == 0


def test_suggestions_answer_beside_the_form(client, province):
    response = as_user(client, province, "fz_agent").post(
        "/intake/suggest/", {"content": "小区电梯停运两周，物业不修，老人上下楼困难。"}, **HX
    )
    assert response.status_code == 200


def test_a_failing_suggestion_service_shows_nothing_instead_of_an_error(
    client, province, monkeypatch
):
    from hotline.web import suggestions

    def broken(*args, **kwargs):
        raise RuntimeError("model not loaded")

    monkeypatch.setattr(suggestions, "_routing", broken)
    monkeypatch.setattr(suggestions, "_screening", broken)
    response = as_user(client, province, "fz_agent").post(
        "/intake/suggest/", {"content": "小区电梯停运两周，物业不修。"}, **HX
    )
    assert response.status_code == 200
    assert "智能提示" not in text(response)


def test_suggestions_are_for_agents_only(client, province):
    response = as_user(client, province, "gl_housing_handler").post(
        "/intake/suggest/", {"content": "小区电梯停运两周，物业不修。"}
    )
    assert response.status_code == 404


def test_a_threat_in_the_demand_shows_a_risk_beside_the_form(client, province):
    response = as_user(client, province, "fz_agent").post(
        "/intake/suggest/", {"content": "物业不修电梯，我扬言要去跳楼。"}, **HX
    )
    assert "风险：红色 · 扬言极端" in text(response)
