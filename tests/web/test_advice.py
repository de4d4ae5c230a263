"""The machine's advice where people decide (issue 17, part 6): the suggested unit on the
dispatch queue, accepted in one click or in bulk; the automatic review on the review page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.routing import jurisdiction, recommender
from hotline.routing.models import DispatchDecision
from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from hotline.web import advice
from tests.tickets.factory import _handler, ticket_at

from .helpers import HX, as_user, text


@pytest.fixture(autouse=True)
def fresh_routing_caches():
    """Routing caches units and regions by id; each test's province has new ids on PostgreSQL."""
    jurisdiction.invalidate()
    recommender.invalidate()
    yield
    jurisdiction.invalidate()
    recommender.invalidate()


pytestmark = pytest.mark.django_db
TRANSFER_ONLY = "您反映的问题已转交相关部门调查处理。感谢您的留言。"


def test_the_queue_shows_each_waiting_ticket_s_suggested_unit_with_confidence(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    s = advice.unit_suggestion(t)

    page = text(as_user(client, province, "fz_dispatcher").get("/dispatch/"))

    cell = page[page.index(f'data-testid="advice-{t.number}"') :].split("</td>")[0]
    assert s is not None
    assert f"<strong>{s['name']}</strong>" in cell
    assert f">{s['confidence']}%</span>" in cell
    assert s["reason"] in cell
    assert f'data-testid="accept-{t.number}"' in cell


def test_a_page_of_tickets_is_classified_in_one_batch_with_the_same_advice_as_one_by_one(
    province,
):
    from hotline.routing import services as routing

    tickets = [
        ticket_at(province, Status.PENDING_DISPATCH),
        ticket_at(province, Status.PENDING_DISPATCH, title="咨询", content="请问社保卡在哪里补办"),
        ticket_at(
            province, Status.PENDING_DISPATCH, title="噪音", content="楼下饭店夜里排风扇很吵"
        ),
    ]
    one_by_one = [
        routing.suggest(
            title=t.title,
            content=t.content,
            address=t.address,
            default_region_id=t.center.region_id,
            region=t.region,
        )
        for t in tickets
    ]

    batch = routing.suggest_for_tickets(tickets)

    assert [s.as_dict() for s in batch] == [s.as_dict() for s in one_by_one]
    assert [s.units[0]["code"] for s in batch] == [s.units[0]["code"] for s in one_by_one]


def test_one_click_accepts_the_suggestion_and_records_that_the_advice_was_followed(
    client, province
):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    s = advice.unit_suggestion(t)

    r = as_user(client, province, "fz_dispatcher").post(
        "/dispatch/accept/", {"accept": t.number}, **HX
    )

    t.refresh_from_db()
    assert r.status_code == 200
    assert t.status == Status.DISPATCHED
    assert t.lead_unit.code == s["code"]
    decision = DispatchDecision.objects.get(ticket=t)
    assert decision.final_unit.code == s["code"]
    assert decision.accepted is True


def test_bulk_accept_takes_only_high_confidence_suggestions(client, province):
    tickets = [
        ticket_at(province, Status.PENDING_DISPATCH),
        ticket_at(province, Status.PENDING_DISPATCH, title="咨询", content="请问社保卡在哪里补办"),
    ]
    confident = {t.number: advice.unit_suggestion(t)["confidence"] >= 90 for t in tickets}

    page = text(
        as_user(client, province, "fz_dispatcher").post(
            "/dispatch/accept/", {"numbers": [t.number for t in tickets]}, **HX
        )
    )

    for t in tickets:
        t.refresh_from_db()
        assert (t.status == Status.DISPATCHED) == confident[t.number]
        if not confident[t.number]:
            assert f"{t.number}：建议置信度" in page


def test_accept_outside_the_dispatcher_s_region_changes_nothing(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)

    r = as_user(client, province, "xm_dispatcher").post("/dispatch/accept/", {"accept": t.number})

    t.refresh_from_db()
    assert r.status_code == 400
    assert t.status == Status.PENDING_DISPATCH
    assert "工单不存在或不在待派单状态" in text(r)


def test_accept_is_for_dispatchers_only(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)

    r = as_user(client, province, "fz_agent").post("/dispatch/accept/", {"accept": t.number})

    t.refresh_from_db()
    assert r.status_code == 404  # not a dispatcher here: out of scope
    assert t.status == Status.PENDING_DISPATCH


def test_the_review_page_shows_the_verdict_scores_and_the_flagged_sentence(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    lifecycle.reply(ticket=t, by=_handler(province, "gl_housing"), body=TRANSFER_ONLY)

    html = text(as_user(client, province, "fz_reviewer").get("/review/"))

    assert '<span data-testid="auto-verdict">建议退回</span>' in html
    assert "只称已转办或交办，没有办理结果：<q>您反映的问题已转交相关部门调查处理。</q>" in html
    assert '<mark data-testid="flagged">您反映的问题已转交相关部门调查处理。</mark>' in html
    assert '<span class="badge" data-testid="score">可解释性 0</span>' in html


def test_a_flagged_sentence_is_quoted_and_marked_as_the_unit_wrote_it(client, province):
    """The review quotes its normalised text ("，" → ","); the page shows the reply's own."""
    t = ticket_at(province, Status.IN_PROGRESS)
    body = "网友您好！您反映的问题，已转交相关部门调查处理。感谢您的留言。"
    lifecycle.reply(ticket=t, by=_handler(province, "gl_housing"), body=body)

    html = text(as_user(client, province, "fz_reviewer").get("/review/"))

    assert '<span data-testid="auto-verdict">建议退回</span>' in html
    assert "<q>您反映的问题，已转交相关部门调查处理。</q>" in html
    assert '<mark data-testid="flagged">您反映的问题，已转交相关部门调查处理。</mark>' in html
    assert "问题," not in html


def test_the_review_page_says_why_a_likely_send_back_was_let_through(client, province):
    t = ticket_at(
        province,
        Status.IN_PROGRESS,
        title="小区路灯坏了一个月",
        content="小区路灯坏了一个月，晚上出行不安全，请尽快维修。",
    )
    lifecycle.reply(
        ticket=t, by=_handler(province, "gl_housing"), body="已安排维修班组更换路灯，今晚恢复照明。"
    )

    html = text(as_user(client, province, "fz_reviewer").get("/review/"))

    assert '<span data-testid="auto-verdict">可发出</span>' in html
    assert (
        '<span data-testid="auto-hint">退回概率较高，但答复称已有办理结果，未判退回；请回访时核实：'
        "<q>已安排维修班组更换路灯，今晚恢复照明。</q></span>"
    ) in html


def test_a_reply_that_came_without_a_review_is_reviewed_on_the_page(client, province):
    """Bulk-loaded or migrated replies carry no stored review: the page reviews them as it shows
    them, and writes nothing."""
    from hotline.screening.models import ReplyReview

    t = ticket_at(province, Status.IN_PROGRESS)
    lifecycle.reply(ticket=t, by=_handler(province, "gl_housing"), body=TRANSFER_ONLY)
    ReplyReview.objects.filter(ticket=t).delete()

    html = text(as_user(client, province, "fz_reviewer").get("/review/"))

    assert '<span data-testid="auto-verdict">建议退回</span>' in html
    assert '<mark data-testid="flagged">您反映的问题已转交相关部门调查处理。</mark>' in html
    assert not ReplyReview.objects.filter(ticket=t).exists()


def _replied(province, body):
    t = ticket_at(province, Status.IN_PROGRESS)
    lifecycle.reply(ticket=t, by=_handler(province, "gl_housing"), body=body)
    return t


def _review_page_queries(client, province):
    reviewer = as_user(client, province, "fz_reviewer")
    reviewer.get("/review/")  # the session's first request reads more (sign-in checks)
    with CaptureQueriesContext(connection) as queries:
        html = text(reviewer.get("/review/"))
    return html, len(queries)


def test_the_review_page_reads_the_automatic_reviews_in_one_query(client, province):
    good = "经现场核查，物业已于3月5日更换电梯控制板，电梯已恢复运行，并承诺每月检修一次。"
    _replied(province, TRANSFER_ONLY)
    _, few = _review_page_queries(client, province)
    for _ in range(4):
        _replied(province, good)

    html, many = _review_page_queries(client, province)

    assert html.count('data-testid="auto-verdict"') == 5
    assert html.count('<span data-testid="auto-verdict">建议退回</span>') == 1
    assert many == few  # not one query per card


def test_the_routing_admin_page_shows_each_center_s_acceptance_rate(client, province):
    followed = ticket_at(province, Status.PENDING_DISPATCH)
    overruled = ticket_at(province, Status.PENDING_DISPATCH)
    dispatcher = as_user(client, province, "fz_dispatcher")
    dispatcher.post("/dispatch/accept/", {"accept": followed.number})
    assert advice.unit_suggestion(overruled)["code"] != "fz_housing"
    dispatcher.post("/dispatch/bulk/", {"numbers": [overruled.number], "to_unit": "fz_housing"})

    page = text(as_user(client, province, "admin").get("/admin/routing/dispatchdecision/"))
    center = DispatchDecision.objects.get(ticket=followed).center.name

    assert DispatchDecision.objects.count() == 2
    assert f"<td>{center}</td><td>2</td><td>1</td><td>50%</td>" in page


def test_the_acceptance_rates_are_for_administrators_only(client, province):
    r = as_user(client, province, "fz_dispatcher").get("/admin/routing/dispatchdecision/")

    assert r.status_code == 302
    assert "acceptance" not in text(r)


def test_the_ticket_page_preselects_the_suggested_lead_unit(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    s = advice.unit_suggestion(t)

    page = text(as_user(client, province, "fz_dispatcher").get(f"/t/{t.number}/"))

    assert f'<option value="{s["code"]}" selected>' in page
    assert page.count(" selected>") == 1
    assert f"建议主办：<strong>{s['name']}</strong>" in page
