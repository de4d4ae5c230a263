"""The portal on a phone: submit with an SMS code, then follow the demand (Chromium, 390 px)."""

import pytest

from hotline.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "13900002222"


def fits(page) -> bool:
    """No sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_submit_and_follow_on_a_phone(browser, live_server, province, sms, shot):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )  # fmt: skip
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/portal/submit/")
        assert fits(page)
        page.fill("#f-phone", PHONE)
        page.click("text=获取验证码")
        page.wait_for_selector("[data-testid=sent]")
        page.fill("#f-code", sms.last_code(PHONE))
        page.fill("#f-title", "小区门口路灯不亮")
        page.fill("#f-content", "鼓东街道某小区门口的路灯坏了一个多月，晚上很黑，老人出行不便。")
        page.select_option("select[name=region_1]", "350100")
        page.wait_for_selector("select[name=region_2]")  # the next level, by htmx
        page.select_option("select[name=region_2]", "350102")
        page.fill("#f-address", "鼓东街道某小区门口")
        page.check("input[name=confidential]")
        # One column: the phone field sits above the code button, not beside it.
        phone_box = page.locator("#f-phone").bounding_box()
        button_box = page.locator("text=获取验证码").bounding_box()
        assert button_box["y"] > phone_box["y"]
        shot(page, "portal-01-submit-phone")
        page.click("button.primary")
        number = page.locator("[data-testid=number]").inner_text()
        t = Ticket.objects.get()
        assert number == t.number
        assert (t.region.code, t.confidential) == ("350102", True)

        page.goto(f"{live_server.url}/portal/follow/")
        page.fill("#q-number", number)
        page.fill("#q-phone", PHONE)
        page.click("button.primary")
        assert page.locator("[data-testid=status]").inner_text() == "已提交，等待热线中心受理"
        assert fits(page)
        shot(page, "portal-02-follow-phone")
    finally:
        context.close()
