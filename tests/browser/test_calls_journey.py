"""Issue 14's "Done when", in Chromium against the product's ASGI server and a real SIP stack:
agents sign in and go ready on their desks; sipp places a call through Kamailio, whose signed
CTI events reach the product; the answering agent's desk shows the caller's history without a
reload; the agent registers a ticket tied to the call; the wallboard shows it answered, live; a
second caller hangs up while waiting and appears in the 回拨 queue."""

import concurrent.futures
import re

import pytest
from django.conf import settings
from django.test import Client

from hotline.calls import agents
from hotline.calls.models import Call, CallState, CallTicket, Outcome
from hotline.crypto import mask_phone, phone_q
from hotline.tickets.models import Status, Ticket

from ..calls.sip.harness import wait_for
from ..realtime.server import asgi_server
from ..tickets.factory import ticket_at

pytestmark = pytest.mark.django_db(transaction=True)

CALLER_PREFIX = "1390591000"  # sipp appends the call's number: the citizen is 13905910001 (福州)
CALLER = CALLER_PREFIX + "1"
ABANDONER = "13900139771"


@pytest.fixture
def served():
    with asgi_server() as base:
        yield base


@pytest.fixture
def open_as(browser, served):
    """A Chromium page of `user` on the ASGI server (session cookie made by the test client)."""
    contexts = []

    def _open(user):
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            viewport={"width": 1360, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": served}]
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.base = served
        return page

    yield _open
    for c in contexts:
        c.close()


def sign_in_and_ready(page, seat):
    page.goto(page.base + "/calls/desk/")
    label = next(t for t in page.locator("#seat option").all_inner_texts() if t.startswith(seat))
    page.select_option("#seat", label=label)
    page.get_by_role("button", name="签入").click()
    page.get_by_test_id("agent-state").filter(has_text="小休").wait_for()
    # The hotkeys are bound by desk.js (deferred), which also opens the live stream: once it
    # shows 已连接 the keys work. CI once pressed F2 on a page whose script had not run yet.
    page.get_by_test_id("live-status").filter(has_text="已连接").wait_for()
    page.keyboard.press("F2")  # 就绪
    page.get_by_test_id("agent-state").filter(has_text="就绪").wait_for()
    page.get_by_test_id("live-status").filter(has_text="已连接").wait_for()  # the new page's


def test_calls_done_when(call_center, province, open_as, shot):
    stack = call_center.stack
    # given the caller's earlier ticket, still open
    earlier = ticket_at(province, Status.IN_PROGRESS, citizen_phone=CALLER, title="楼上漏水")
    # and both agents of the queue off their seats, to sign in on their desks
    for user in call_center.agents.values():
        agents.sign_out(user=user)
    desks = {}
    for seat in stack.agent_seats:
        desks[seat] = open_as(call_center.agents[seat])
        sign_in_and_ready(desks[seat], seat)
    board = open_as(province.users["fz_supervisor"])
    board.goto(board.base + f"/calls/wallboard/?center={call_center.center.pk}")
    board.get_by_test_id("live-status").filter(has_text="已连接").wait_for()
    assert board.get_by_test_id("k-answered").inner_text() == "0"

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        # when a citizen calls 12345 through Kamailio and talks for four seconds
        talking = pool.submit(
            stack.citizens_call, "citizen_talk.xml", caller_prefix=CALLER_PREFIX, pause_ms=4000
        )
        call = wait_for(
            lambda: Call.objects.filter(
                phone_q(CALLER, "caller"), answered_at__isnull=False
            ).first(),
            timeout=60,
            what="the answered call",
        )
        seat = call.seat.code
        desk = desks[seat]
        # then the answering agent's desk (never reloaded) pops the caller and the history
        pop = desk.locator(f"[data-testid=screen-pop][data-call='{call.pk}']")
        pop.wait_for()
        assert pop.get_by_test_id("pop-number").inner_text() == CALLER
        assert pop.get_by_test_id("pop-region").inner_text() == "福建省福州市"
        assert pop.locator("[data-testid=pop-history] li").first.get_attribute("data-number") == (
            earlier.number
        )
        pop.get_by_test_id("mark-repeat").wait_for()
        assert desk.get_by_test_id("agent-state").inner_text() == "通话中"
        shot(desk, "10-agent-desk-screen-pop")
        assert talking.result().returncode == 0, stack.logs()

    # when the agent registers the caller's new demand on the form tied to the call
    pop.locator("#content").fill("小区门口路灯损坏一周，夜间出行不便，请尽快维修。")
    pop.locator("#content").press("Control+Enter")
    desk.get_by_test_id("saved").filter(has_text="已关联本次来电").wait_for()
    # then the ticket is tied to the call
    ticket = Ticket.objects.exclude(pk=earlier.pk).get(phone_q(CALLER))
    assert list(CallTicket.objects.values_list("call", "ticket", "kind")) == [
        (call.pk, ticket.pk, "registered")
    ]
    # and the wallboard shows the call answered, without a reload
    board.get_by_test_id("k-answered").filter(has_text=re.compile("^1$")).wait_for()
    assert board.get_by_test_id("k-offered").inner_text() == "1"

    # when a second citizen hangs up after six and a half seconds in the queue
    result = stack.citizens_call("citizen_abandon.xml", caller_prefix=ABANDONER[:-1], pause_ms=6500)
    assert result.returncode == 0, stack.logs()
    abandoned = wait_for(
        lambda: Call.objects.filter(phone_q(ABANDONER, "caller"), state=CallState.FINISHED).first(),
        timeout=60,
        what="the abandoned call",
    )
    assert abandoned.outcome == Outcome.ABANDONED
    # then the wallboard counts it and the caller waits in the 回拨 queue
    board.get_by_test_id("k-abandoned").filter(has_text=re.compile("^1$")).wait_for()
    shot(board, "11-wallboard")
    desk.goto(desk.base + "/calls/callbacks/")
    row = desk.locator(f"[data-testid=callback-queue] tr[data-number='{mask_phone(ABANDONER)}']")
    row.wait_for()
    assert "放弃" in row.inner_text()
    assert "剩余" in row.locator(".countdown").inner_text()
    shot(desk, "12-callback-queue")
