"""Issue 15's "Done when", in Chromium against the product's ASGI server: a manager declares an
incident and approves a 口径, an agent's open desk shows it without a reload (and the next
version replaces it); matching demands are marked and grouped, the unit replies once and every
citizen gets the reply; a queue over its threshold overflows to an agent of another city; an
urgent report is acknowledged at the level above."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from hotline.calls import services as calls
from hotline.calls.models import AgentState, Call
from hotline.incidents import grouping, marking, overflow, sms
from hotline.incidents.models import IncidentTicket, TicketGroup, UrgentReport
from hotline.orgs import scope
from hotline.portal import services as portal
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, Ticket
from tests.incidents.conftest import p, sms_file  # noqa: F401 - fixtures
from tests.incidents.test_pool import at, cti, queued  # noqa: F401 - the call platform
from tests.tickets.factory import demand

from ..realtime.server import asgi_server

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT_1 = "鼓楼区因主管爆裂停水，预计今晚20时恢复供水，送水点设在鼓东街道办。"
SCRIPT_2 = "鼓楼区停水：抢修提前完成，预计今晚19时恢复供水，请居民提前储水。"


@pytest.fixture
def open_as(browser):
    """Chromium pages on the ASGI server (the live banner needs a streaming server)."""
    contexts = []
    with asgi_server() as base:

        def _open(user):
            client = Client()
            client.force_login(user)
            context = browser.new_context(
                viewport={"width": 1360, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                                  "url": base}])  # fmt: skip
            context.set_default_timeout(15_000)
            contexts.append(context)
            page = context.new_page()
            page.base = base
            return page

        yield _open
        for c in contexts:
            c.close()


def go(page, path):
    page.goto(page.base + path)


def approve_script(manager, body):
    manager.fill("#s-body", body)
    manager.get_by_role("button", name="保存口径草稿").click()
    manager.get_by_text("待审批").first.wait_for()
    manager.get_by_role("button", name="审批发布").click()
    manager.get_by_text("已发布到座席桌面").wait_for()


def register(province, title, content, phone):
    ticket, _ = lifecycle.register(
        by=province.users["fz_agent"],
        data=demand(channel="phone", title=title, content=content,
                    region="350102", citizen_phone=phone),
    )  # fmt: skip
    return ticket


def test_an_incident_from_declaration_to_one_reply_for_every_citizen(p, open_as, sms_file, shot):  # noqa: F811 - fixtures
    u = p.users
    # given an agent's desk open before anything happens
    desk = open_as(u["fz_agent"])
    go(desk, "/calls/desk/")
    desk.get_by_test_id("live-status").filter(has_text="已连接").wait_for()

    # when the city's manager declares the incident and approves a 口径
    manager = open_as(u["fz_admin"])
    go(manager, "/incidents/")
    manager.fill("#i-name", "鼓楼区停水")
    manager.fill("#i-regions", "350102")
    manager.fill("#i-keywords", "停水，没水")
    manager.get_by_role("button", name="宣布").click()
    manager.get_by_text("已宣布突发事件「鼓楼区停水」").wait_for()
    manager.get_by_role("link", name="鼓楼区停水").click()
    approve_script(manager, SCRIPT_1)

    # then the desk shows it without a reload, and the next version replaces it
    banner = desk.get_by_test_id("incident-script")
    banner.filter(has_text="预计今晚20时恢复供水").wait_for()
    approve_script(manager, SCRIPT_2)
    desk.get_by_test_id("incident-banner").and_(desk.locator("[data-version='2']")).wait_for()
    assert banner.inner_text() == SCRIPT_2
    shot(desk, "15-agent-desk-incident-banner")

    # when matching demands come in (one without a mobile phone), the worker marks them and a
    # dispatcher groups them on the incident's page
    tickets = [register(p, "家里停水", "鼓楼区家里停水了", "13800000001"),
               register(p, "小区停水", "小区一早就没水", "13800000002"),
               register(p, "停水咨询", "停水什么时候恢复", "0591-87654321"),
               register(p, "路灯不亮", "东街口路灯不亮", "13800000003")]  # fmt: skip
    assert marking.mark_new() == 3
    incident_id = IncidentTicket.objects.values_list("incident_id", flat=True).first()
    dispatcher = open_as(u["fz_dispatcher"])
    go(dispatcher, f"/incidents/{incident_id}/")
    dispatcher.get_by_test_id("b-total").filter(has_text="3").wait_for()
    dispatcher.get_by_role("button", name="按承办单位并单").click()
    dispatcher.get_by_text("并单完成：1 组，合并 2 件，未能合并 0 件").wait_for()
    dispatcher.get_by_test_id("b-total").filter(has_text="3").wait_for()  # the board, refetched
    # The tiles and the hourly chart are drawn (their CSS once lived in the calls app only,
    # which this page does not load: an unstyled list and a chart 0 px tall).
    chart = dispatcher.locator("#incident-chart")
    chart.locator("canvas").wait_for()
    assert chart.bounding_box()["height"] >= 200
    tile = dispatcher.locator(".board-kpis .kpi").first.bounding_box()
    assert tile["width"] < 400  # a grid of tiles, not one full-width line each
    # Three demands, each asking its own question: none asked twice yet, and the table says so.
    expect(dispatcher.get_by_test_id("b-uncovered")).to_contain_text("暂无")
    dispatcher.wait_for_timeout(1200)  # ECharts grows its bars for a second: shoot them grown
    shot(dispatcher, "16-incident-board")
    parent = Ticket.objects.get(pk=TicketGroup.objects.get().parent_id)
    assert parent.pk == tickets[0].pk
    assert Ticket.objects.filter(merged_into=parent).count() == 2

    # and the unit replies once, the reply is approved, the worker fans it out
    t = lifecycle.dispatch(ticket=parent, by=u["fz_dispatcher"], to_unit=p.units["gl_housing"])
    t = lifecycle.acknowledge(ticket=t, by=u["gl_housing_handler"])
    t = lifecycle.reply(ticket=t, by=u["gl_housing_handler"], body="主管已修复，19时恢复供水。")
    lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"])
    assert grouping.fan_out_ready() == 2

    # then every citizen with a mobile has the SMS, and every one sees the reply on the portal
    sent = sms.FileSmsBackend(sms_file).read()
    assert sorted(m["phone"] for m in sent) == ["13800000001", "13800000002"]
    for ticket in tickets[:3]:
        assert portal.public_view(Ticket.objects.get(pk=ticket.pk))["reply"] == (
            "主管已修复，19时恢复供水。"
        )
    assert Ticket.objects.get(pk=tickets[3].pk).status == Status.PENDING_DISPATCH


def test_a_queue_over_its_threshold_overflows_to_an_agent_of_another_city(p, open_as, cti):  # noqa: F811 - fixtures
    post, seats = cti
    u = p.users
    # given the city's threshold set on its page and another city's agent put into the pool
    manager = open_as(u["fz_admin"])
    go(manager, "/incidents/pool/")
    manager.get_by_label("福州市12345热线中心排队数阈值").fill("1")
    manager.locator("button[form=rule-fz]").click()
    manager.get_by_text("溢出阈值已保存").wait_for()
    other = open_as(u["xm_admin"])
    go(other, "/incidents/pool/")
    other.fill("#pool-user", "xm_agent")
    other.get_by_role("button", name="保存").last.click()
    other.get_by_text("xm_agent 已加入省级统筹座席池").wait_for()
    calls.sign_in(user=u["xm_agent"], seat=seats["9001"])
    calls.set_state(user=u["xm_agent"], state=AgentState.READY)

    # when two callers wait in 福州's queue
    queued(post, 2)
    go(manager, "/incidents/pool/")
    assert manager.get_by_test_id("overflowing").first.inner_text() == "溢出中"

    # then the overflow goes to the 厦门 pool agent, who registers for 福州
    assert [t["seat"] for t in overflow.targets(p.units["fz"])] == ["9001"]
    post([{"event_id": "a0", "call_id": "q0", "type": "answered", "at": at(1), "agent": "9001"}])
    call = Call.objects.get(platform_call_id="q0")
    ticket = overflow.register_for(
        by=u["xm_agent"], call_id=call.pk,
        data=demand(channel="phone", title="停水咨询", content="鼓楼区停水何时恢复", region="350102"),
    )  # fmt: skip
    assert ticket.center == p.units["fz"]
    assert not scope.is_visible(u["xm_agent"], ticket)


def test_an_urgent_report_is_acknowledged_at_the_level_above(p, open_as):  # noqa: F811 - fixtures
    u = p.users
    county = open_as(u["gl_dispatcher"])
    go(county, "/incidents/reports/")
    county.fill("#u-what", "鼓东街道内涝")
    county.fill("#u-place", "鼓东街道")
    county.fill("#u-people", "30")
    county.fill("#u-risk", "有人员被困")
    county.get_by_role("button", name="报送").click()
    county.get_by_text("紧急信息已报送至福州市12345热线中心").wait_for()
    report = UrgentReport.objects.get()

    city = open_as(u["fz_admin"])
    go(city, "/incidents/reports/")
    city.get_by_role("link", name="鼓东街道内涝").click()
    city.fill("#ack-note", "已阅，转省中心")
    city.get_by_role("button", name="签收").click()
    city.get_by_text("已签收").first.wait_for()
    assert city.get_by_test_id("report-at").inner_text() == "福建省12345热线中心"

    province = open_as(u["prov_admin"])
    go(province, f"/incidents/reports/{report.pk}/")
    province.get_by_role("button", name="签收").click()
    province.get_by_test_id("report-state").filter(has_text="已签收").wait_for()
    report.refresh_from_db()
    assert [s.action for s in report.steps.all()] == [
        "raise", "deliver", "acknowledge", "forward", "acknowledge"]  # fmt: skip
