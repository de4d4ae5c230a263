"""Whole journeys through the workbench in a real browser, one role per browser context.

Each journey ends by checking what the ticket page (the record as people see it) and its
timeline show, and the database record behind them.
"""

import re

import pytest

from hotline.tickets.models import Satisfaction, Status
from tests.tickets.factory import ticket_at

from .journeys import (
    acknowledge_and_reply,
    dispatch,
    go,
    record,
    status_of,
    ticket_page,
    timeline_actions,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "13900001111"


def _login(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base = live_server.url
    go(page, "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")
    return page


def _tab_to(page, name, by="id"):
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.{by}") == name:
            return
    raise AssertionError(f"Tab never reached {name}")


def _register_by_keyboard(page, content) -> str:
    """From the phone number to the saved ticket without touching the mouse."""
    go(page, "/intake/")
    assert page.evaluate("document.activeElement.id") == "citizen_phone"
    page.keyboard.type(PHONE)
    page.get_by_test_id("history").wait_for()
    page.keyboard.press("Tab")
    page.keyboard.type("王五")
    _tab_to(page, "appeal_type", by="name")  # past the caller's history links
    page.keyboard.press("ArrowRight")  # 诉求类型: 咨询 → 求助 → 投诉
    page.keyboard.press("ArrowRight")
    _tab_to(page, "address")
    page.keyboard.type("鼓楼区东街口某小区")
    _tab_to(page, "content")
    page.keyboard.type(content)
    page.keyboard.press("Control+Enter")
    saved = page.get_by_test_id("saved")
    saved.wait_for()
    return re.search(r"工单编号 (\d+)", saved.inner_text()).group(1)


def test_main_journey_register_dispatch_acknowledge_reply_review_callback(
    browser, live_server, province, as_role, shot
):
    earlier = ticket_at(province, Status.CLOSED, citizen_phone=PHONE)

    agent = _login(browser, live_server, "fz_agent")
    number = _register_by_keyboard(agent, "小区路灯坏了一个月，晚上出行不安全，请尽快维修。")
    assert record(number).status == Status.PENDING_DISPATCH
    assert record(number).appeal_type == "complaint"
    # Screenshot with the caller's history beside the form.
    agent.fill("#citizen_phone", PHONE)
    agent.get_by_test_id("history").get_by_text(earlier.number).wait_for()
    shot(agent, "01-agent-intake")

    dispatcher = as_role("fz_dispatcher")
    go(dispatcher, "/dispatch/")
    dispatcher.get_by_test_id("queue").get_by_text(number).wait_for()
    shot(dispatcher, "02-dispatcher-queue")
    dispatch(dispatcher, number, "鼓楼区住建局", assisting=["鼓东街道办事处"])
    assert status_of(dispatcher) == "待签收"

    handler = as_role("gl_housing_handler")
    go(handler, "/inbox/")
    row = handler.get_by_test_id("queue").locator("tr", has_text=number)
    assert "剩余" in row.locator(".countdown").inner_text()
    shot(handler, "03-handler-inbox")
    acknowledge_and_reply(handler, number, "已安排维修班组更换路灯，今晚恢复照明。")
    assert status_of(handler) == "待审核"

    reviewer = as_role("fz_reviewer")
    go(reviewer, "/review/")
    shot(reviewer, "04-reviewer-queue")
    card = reviewer.locator("article", has_text=number)
    card.get_by_role("button", name="审核通过").click()
    card.get_by_text("已审核通过").wait_for()

    callback = as_role("fz_callback")
    go(callback, "/callback/")
    shot(callback, "05-callback-queue")
    card = callback.locator("article", has_text=number)
    card.get_by_label("满意度").select_option("satisfied")
    card.get_by_label("是否解决").select_option("yes")
    card.get_by_role("button", name="记录回访").click()
    callback.get_by_text("已记录回访，工单已办结").wait_for()

    ticket_page(agent, number)
    assert status_of(agent) == "已办结"
    assert agent.get_by_test_id("reply").inner_text() == "已安排维修班组更换路灯，今晚恢复照明。"
    assert agent.get_by_test_id("satisfaction").inner_text() == "满意"
    assert "鼓楼区住建局；协办：鼓东街道办事处" in agent.get_by_test_id("lead-unit").inner_text()
    assert timeline_actions(agent) == [
        "register",
        "dispatch",
        "acknowledge",
        "reply",
        "approve_reply",
        "callback",
    ]
    shot(agent, "06-ticket-page")
    t = record(number)
    assert t.status == Status.CLOSED
    assert t.satisfaction == Satisfaction.SATISFIED
    assert t.resolved is True


def test_return_and_redispatch(province, as_role):
    t = ticket_at(province, Status.DISPATCHED)
    handler = as_role("gl_housing_handler")
    ticket_page(handler, t.number)
    handler.get_by_text("申请退单").click()
    handler.fill("#return-reason", "属于市级住建部门职责，非本单位事项")
    handler.get_by_role("button", name="提交退单申请").click()
    handler.get_by_text("已申请退单。").wait_for()
    assert status_of(handler) == "退单待审"

    dispatcher = as_role("fz_dispatcher")
    go(dispatcher, "/dispatch/?tab=returns")
    dispatcher.get_by_test_id("queue").get_by_text(t.number).click()
    dispatcher.get_by_role("button", name="同意退单").click()
    dispatcher.get_by_text("已同意退单。").wait_for()
    assert status_of(dispatcher) == "待派单"
    dispatch(dispatcher, t.number, "福州市住建局")
    assert timeline_actions(dispatcher)[-3:] == ["request_return", "approve_return", "dispatch"]
    assert dispatcher.get_by_test_id("lead-unit").inner_text() == "福州市住建局"
    assert record(t.number).lead_unit.code == "fz_housing"
    assert record(t.number).return_count == 1


def test_extension_requested_and_approved(province, as_role, shot):
    from datetime import timedelta

    from django.utils import timezone

    from hotline.tickets import lifecycle
    from hotline.tickets.models import Ticket

    t = ticket_at(province, Status.IN_PROGRESS)
    before = t.handle_deadline
    late = ticket_at(province, Status.IN_PROGRESS, title="楼道堆放杂物堵塞消防通道")
    Ticket.objects.filter(pk=late.pk).update(handle_deadline=timezone.now() - timedelta(hours=3))
    lifecycle.supervise(ticket=late, by=province.users["fz_supervisor"], reason="超期未办")

    handler = as_role("gl_housing_handler")
    ticket_page(handler, t.number)
    handler.get_by_text("申请延期").click()
    handler.fill("#ext-days", "2")
    handler.fill("#ext-reason", "需要协调供电公司共同勘查")
    handler.get_by_role("button", name="提交延期申请").click()
    handler.get_by_text("已申请延期。").wait_for()

    dispatcher = as_role("fz_dispatcher")
    go(dispatcher, "/dispatch/?tab=extensions")
    dispatcher.get_by_test_id("queue").get_by_text(t.number).click()
    dispatcher.get_by_role("button", name="同意延期").click()
    dispatcher.get_by_text("已同意延期。").wait_for()
    assert timeline_actions(dispatcher)[-2:] == ["request_extension", "approve_extension"]
    assert "已延期 1 次" in dispatcher.get_by_test_id("handle-deadline").inner_text()
    assert record(t.number).handle_deadline > before

    supervisor = as_role("fz_supervisor")
    go(supervisor, "/supervise/")
    row = supervisor.get_by_test_id("queue").locator("tr", has_text=late.number)
    assert "已超期" in row.locator(".countdown").inner_text()
    shot(supervisor, "07-supervisor")


def test_review_rejection_goes_back_to_the_unit(province, as_role):
    t = ticket_at(province, Status.REPLIED)
    reviewer = as_role("fz_reviewer")
    go(reviewer, "/review/")
    card = reviewer.locator("article", has_text=t.number)
    card.get_by_role("button", name="退回").click()
    card.get_by_text("退回理由至少2个字").wait_for()  # refused, nothing changed
    assert record(t.number).status == Status.REPLIED
    card = reviewer.locator("article", has_text=t.number)
    card.get_by_label("退回理由").fill("未说明维修完成时间")
    card.get_by_role("button", name="退回").click()
    reviewer.get_by_text("已退回承办单位").wait_for()

    handler = as_role("gl_housing_handler")
    go(handler, "/inbox/?tab=rejected")
    handler.get_by_test_id("queue").get_by_text(t.number).click()
    assert status_of(handler) == "办理中"
    handler.get_by_text("理由：未说明维修完成时间").wait_for()
    handler.fill("#reply-body", "电梯已于本周三修复，物业承诺每月检修。")
    handler.get_by_role("button", name="提交答复").click()
    handler.get_by_text("已答复。").wait_for()
    assert timeline_actions(handler)[-3:] == ["reply", "reject_reply", "reply"]
    assert record(t.number).status == Status.REPLIED


def test_unsatisfied_callback_reopens_to_the_same_unit(province, as_role):
    t = ticket_at(province, Status.REVIEWED)
    callback = as_role("fz_callback")
    go(callback, "/callback/")
    card = callback.locator("article", has_text=t.number)
    card.get_by_label("满意度").select_option("unsatisfied")
    card.get_by_label("回访记录").fill("市民称电梯仍有异响")
    card.get_by_role("button", name="记录回访").click()
    callback.get_by_text("市民不满意，已重办").wait_for()

    handler = as_role("gl_housing_handler")
    go(handler, "/inbox/?tab=reopened")
    handler.get_by_test_id("queue").get_by_text(t.number).click()
    assert status_of(handler) == "办理中"
    handler.get_by_text("结果：不满意，已重办").wait_for()
    assert timeline_actions(handler)[-1] == "callback"
    after = record(t.number)
    assert after.reopen_count == 1
    assert after.lead_unit.code == "gl_housing"


def test_a_county_handler_opening_another_countys_ticket_sees_not_found(province, as_role):
    t = ticket_at(province, Status.DISPATCHED)
    page = as_role("tj_housing_handler")
    response = page.goto(page.base + f"/t/{t.number}/")
    assert response.status == 404
    assert "不存在" in page.get_by_test_id("not-found").inner_text()
    assert t.title not in page.content()


def test_a_refused_action_shows_the_chinese_reason_and_changes_nothing(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS)
    handler = as_role("gl_housing_handler")
    ticket_page(handler, t.number)
    handler.fill("#reply-body", "好的好的")  # 4 characters: too short
    handler.evaluate("document.getElementById('reply-body').removeAttribute('minlength')")
    handler.get_by_role("button", name="提交答复").click()
    assert handler.get_by_test_id("error").inner_text() == "答复内容至少5个字"
    assert status_of(handler) == "办理中"
    assert record(t.number).status == Status.IN_PROGRESS


def test_resolve_at_intake_from_a_knowledge_article(province, as_role, shot):
    from hotline.knowledge.services import ArticleInput, create_article

    article = create_article(
        by=province.users["admin"],
        data=ArticleInput(
            title="社保卡补办",
            body="社保卡遗失后，可携带身份证到任一社保服务网点挂失并补办，也可在闽政通办理。",
            owner=province.units["fz"],
        ),
    )
    agent = as_role("fz_agent")
    go(agent, "/intake/")
    agent.fill("#citizen_phone", "13900002222")
    agent.fill("#content", "社保卡丢了，想问怎么补办。")
    agent.fill("#kb-q", "社保卡丢了怎么办")
    hit = agent.locator(".kb-hits li", has_text="社保卡补办")
    hit.get_by_role("button", name="引用此条答复").click()
    assert agent.input_value("#article") == f"KB{article.pk}"
    assert "闽政通" in agent.input_value("#reply")
    shot(agent, "08-agent-knowledge")
    agent.get_by_role("button", name="直接办结").click()
    saved = agent.get_by_test_id("saved")
    saved.wait_for()
    number = re.search(r"工单编号 (\d+)", saved.inner_text()).group(1)

    ticket_page(agent, number)
    assert status_of(agent) == "已办结"
    assert "闽政通" in agent.get_by_test_id("reply").inner_text()
    assert timeline_actions(agent) == ["resolve_at_intake"]
    agent.get_by_text(f"引用知识：KB{article.pk}").wait_for()
    assert record(number).status == Status.CLOSED
    article.refresh_from_db()
    assert article.use_count == 1


def test_a_reply_waits_for_the_unit_leader_then_goes_to_review(province, as_role, shot):
    unit = province.units["fz_housing"]
    unit.leader_approval = True
    unit.save(update_fields=["leader_approval"])
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    body = "已责成物业公司本周内完成水箱清洗消毒，并委托检测机构出具水质报告。"

    handler = as_role("fz_housing_handler")
    ticket_page(handler, t.number)
    handler.fill("#reply-body", body)
    handler.get_by_role("button", name="提交答复").click()
    handler.get_by_text("已提交分管领导审批。").wait_for()
    assert status_of(handler) == "办理中"
    assert "等待分管领导审批" in handler.get_by_test_id("held").inner_text()
    assert handler.locator("#reply-body").count() == 0  # no second reply while it waits

    leader = as_role("fz_housing_leader")
    go(leader, "/")
    leader.get_by_role("link", name="待审批").first.click()  # in the nav and on the home page
    row = leader.get_by_test_id("approvals").locator("tr", has_text=t.number)
    assert "答复" in row.inner_text()
    shot(leader, "09-leader-approvals")
    row.get_by_role("link", name=t.number).click()
    assert body in leader.get_by_test_id("held").inner_text()
    leader.fill("#leader-note", "同意，注意公示检测结果")
    leader.get_by_role("button", name="同意", exact=True).click()
    leader.get_by_text("已分管领导同意。").wait_for()
    assert status_of(leader) == "待审核"
    assert timeline_actions(leader)[-3:] == ["submit_to_leader", "leader_approve", "reply"]
    assert record(t.number).reply == body

    reviewer = as_role("fz_reviewer")
    go(reviewer, "/review/")
    assert t.number in reviewer.get_by_test_id("queue").inner_text()


def test_a_handler_attaches_a_photo_on_the_ticket_page(province, as_role, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    t = ticket_at(province, Status.IN_PROGRESS)
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    handler = as_role("gl_housing_handler")
    ticket_page(handler, t.number)
    handler.set_input_files(
        "#attach-file", files=[{"name": "整改后照片.png", "mimeType": "image/png", "buffer": photo}]
    )
    handler.get_by_role("button", name="上传", exact=True).click()
    handler.get_by_text("已上传附件。").wait_for()
    link = handler.get_by_test_id("attachments").get_by_role("link", name="整改后照片.png")
    with handler.expect_download() as got:
        link.click()
    assert got.value.suggested_filename == "整改后照片.png"
    assert timeline_actions(handler)[-1] == "attach"
    assert status_of(handler) == "办理中"
