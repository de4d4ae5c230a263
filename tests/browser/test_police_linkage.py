"""12345 ↔ 110 in a real browser and over real HTTP: a dispatcher hands a ticket over on its
page, the police partner (signed requests to the live server) reads, acknowledges, reports
progress and concludes, and the ticket page shows each step; the police hand a 非警务警情 in,
it is handled and closed, and its result reaches the police's webhook and their API."""

import json
import urllib.request

import pytest
from django.utils import timezone

from hotline.exchange import delivery, police_demands, signing
from hotline.exchange.models import Subscription
from hotline.tickets import lifecycle
from hotline.tickets.models import Satisfaction, Status, Ticket
from tests.exchange.conftest import Receiver
from tests.exchange.police_support import police_partner
from tests.tickets.factory import ticket_at

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_settle(settings):
    settings.HOTLINE_EXCHANGE_SETTLE_SECONDS = 0


def slow_machine(page):
    # The machine is shared and often saturated: the first ticket page can take over 10 s.
    page.set_default_timeout(60_000)
    return page


def call(base, system, path, payload=None):
    """A signed request of the police partner to the live server; (status, JSON body)."""
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        base + path,
        data=body if payload is not None else None,
        method="GET" if payload is None else "POST",
        headers={"Content-Type": "application/json",
                 **signing.headers(system.code, system.secret, body)},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_a_hand_over_is_acknowledged_and_answered_and_the_ticket_page_shows_the_steps(
    as_role, province, shot
):
    partner = police_partner(province, "fz")
    ticket = ticket_at(province, Status.IN_PROGRESS, content="邻居扬言要带刀上门报复，情绪激动。")
    page = slow_machine(as_role("fz_dispatcher"))
    page.goto(f"{page.base}/t/{ticket.number}/")

    card = page.get_by_test_id("police-card")
    card.locator("summary", has_text="移交公安").click()
    page.select_option("#police-partner", partner.code)
    page.fill("#police-summary", "当事人扬言持刀报复邻居，请公安介入处置。")
    page.get_by_role("button", name="移交公安").click()
    message = page.get_by_test_id("police-message")
    message.wait_for()
    assert message.inner_text().startswith("已移交（移交编号 YJ")

    base = page.base
    status, listed = call(base, partner, "/api/v1/exchange/police/handovers")
    ref = listed[0]["reference"]
    status_case, case = call(base, partner, f"/api/v1/exchange/police/handovers/{ref}")
    now = timezone.now().isoformat()
    steps = [
        {"report_id": "110-R1", "kind": "acknowledged", "at": now, "officer": "李警官",
         "police_ref": "JQ350100-0001"},
        {"report_id": "110-R2", "kind": "progress", "at": now, "note": "已出警，双方已隔离"},
        {"report_id": "110-R3", "kind": "concluded", "at": now, "note": "已对当事人依法训诫"},
    ]  # fmt: skip
    answers = [call(base, partner, f"/api/v1/exchange/police/handovers/{ref}/reports", s)
               for s in steps]  # fmt: skip

    assert (status, status_case) == (200, 200)
    assert case["summary"] == "当事人扬言持刀报复邻居，请公安介入处置。"
    assert [code for code, _ in answers] == [201, 201, 201]
    assert answers[-1][1]["state"] == "concluded"

    page.reload()
    handover = page.get_by_test_id("police-handover")
    assert handover.get_attribute("data-state") == "concluded"
    steps_text = page.get_by_test_id("police-steps").inner_text()
    assert "公安签收" in steps_text and "李警官" in steps_text and "JQ350100-0001" in steps_text
    assert "已出警，双方已隔离" in steps_text
    assert "已对当事人依法训诫" in steps_text
    timeline = page.get_by_test_id("timeline").inner_text()
    for label in ("移交公安（110联动）", "公安签收", "公安反馈进展", "公安办结"):
        assert label in timeline
    shot(page, "police-01-ticket-steps")

    page.goto(f"{page.base}/exchange/police/")
    row = page.locator(f"tr[data-reference='{ref}']")
    assert "公安已办结" in row.inner_text()


def test_a_police_demand_comes_back_with_its_result(as_role, province, shot):
    partner = police_partner(province, "fz")
    receiver = Receiver()
    receiver.up = True
    Subscription.objects.create(system=partner, url=receiver.url, secret="hook", max_attempts=3)
    page = slow_machine(as_role("fz_agent"))
    try:
        status, made = call(page.base, partner, "/api/v1/exchange/police/demands", {
            "police_ref": "JQ20261206-88", "appeal_type": "help",
            "title": "小区路灯损坏", "content": "群众报警称小区路灯损坏多日，属非警务警情。",
            "region": "350102", "address": "鼓楼区鼓东街道某小区",
            "police_unit": "鼓楼公安分局东街派出所"})  # fmt: skip
        again, same = call(page.base, partner, "/api/v1/exchange/police/demands", {
            "police_ref": "JQ20261206-88", "title": "小区路灯损坏", "content": "重发"})  # fmt: skip
        assert (status, again) == (201, 200)
        assert same["number"] == made["number"]

        page.goto(f"{page.base}/t/{made['number']}/")
        assert "非警务警情" in page.get_by_test_id("police-demand").inner_text()
        page.get_by_role("button", name="受理确认").click()
        page.get_by_role("button", name="受理确认").wait_for(state="detached")

        t = Ticket.objects.get(number=made["number"])
        u = province.users
        t = lifecycle.dispatch(
            ticket=t, by=u["fz_dispatcher"], to_unit=province.units["gl_housing"]
        )
        t = lifecycle.acknowledge(ticket=t, by=u["gl_housing_handler"])
        t = lifecycle.reply(ticket=t, by=u["gl_housing_handler"], body="路灯已于当日修复。")
        t = lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"])
        lifecycle.callback(ticket=t, by=u["fz_callback"], satisfaction=Satisfaction.SATISFIED,
                           resolved=True)  # fmt: skip
        assert police_demands.send_results() == 1
        assert delivery.run_once()["delivered"] == 1

        _, result = call(page.base, partner, "/api/v1/exchange/police/demands/JQ20261206-88")
        assert (result["status"], result["reply"]) == (Status.CLOSED, "路灯已于当日修复。")
        [event] = receiver.events
        assert event["topic"] == "ticket.police_result"
        assert event["data"]["reply"] == "路灯已于当日修复。"

        page.reload()
        assert "办理结果已于" in page.get_by_test_id("police-demand").inner_text()
        assert "办理结果回告公安" in page.get_by_test_id("timeline").inner_text()
        shot(page, "police-02-demand-result")
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
