"""The service worker's side of Web Push (issue 19), in Debian's Chromium.

Headless Chromium cannot subscribe for real: `pushManager.subscribe` needs the browser
vendor's push service, which this machine does not reach (that path is tested with a push
service on localhost in tests/supervision/test_webpush.py). What the browser does with a push
is tested here: DevTools delivers a push message to the registered worker (CDP
ServiceWorker.deliverPushMessage, as the push service would), and the notification it shows
is read back from the registration."""

import json

import pytest

from hotline.supervision import webpush
from hotline.tickets.models import Status
from tests.supervision.pushservice import PUBLIC, push_settings
from tests.tickets.factory import ticket_at

from .journeys import settled, without_stream
from .test_accessibility import violations
from .test_phone import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFICATIONS = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url}))"""


@pytest.fixture
def push_on():
    with push_settings():
        yield


def notifications_shown(page, seconds: float = 10) -> list[dict]:
    """The notifications once the worker has shown one. Polled from here: the page's
    `getNotifications()` is a promise, which `wait_for_function` does not wait for."""
    for _ in range(int(seconds * 10)):
        shown = page.evaluate(NOTIFICATIONS)
        if shown:
            return shown
        page.wait_for_timeout(100)
    return []


def registration_id(page, cdp) -> str:
    """The worker's registration, as DevTools names it (announced once enabled)."""
    found = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: found.extend(r["registrationId"] for r in e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(100):  # the announcement is an event: let Playwright's loop deliver it
        if found:
            return found[0]
        page.wait_for_timeout(50)
    raise AssertionError("DevTools announced no service worker registration")


def test_a_push_shows_the_ticket_number_and_title_and_nothing_else(
    province, as_role, live_server, push_on
):
    t = ticket_at(province, Status.DISPATCHED, lead="gl_housing")
    page = without_stream(
        as_role("gl_housing_handler", **PHONE, service_workers="allow", bypass_csp=True)
    )
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    page.goto(live_server.url + "/inbox/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    settled(page)
    # The opt-in button is there (a real subscription needs the vendor's push service).
    assert page.get_attribute("body", "data-push-key") == PUBLIC
    toggle = page.locator("[data-push-toggle]")
    toggle.wait_for()
    assert toggle.inner_text() == "开启推送"
    assert violations(page) == []

    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registration_id(page, cdp),
            "data": webpush.payload(t.number, webpush.NEW),
        },
    )
    shown = notifications_shown(page)

    assert shown == [
        {
            "title": "新工单待签收",
            "body": f"工单编号 {t.number}",
            "tag": t.number,
            "url": f"/t/{t.number}/",
        }
    ]
    assert "张三" not in json.dumps(shown, ensure_ascii=False)
