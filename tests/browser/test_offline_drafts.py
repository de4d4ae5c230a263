"""The installable app on a handler's phone (issue 19): manifest, service worker, and a reply
typed while the network is down, kept on the device and sent once when it is back.

A draft is the user's own: kept under the user's id, never shown to anyone else signed in on
the same phone, and gone when the user signs out.
"""

import json

import pytest

from hotline.tickets.models import Status, TicketEvent
from tests.tickets.factory import ticket_at

from .journeys import record, settled, ticket_page, without_stream
from .test_accessibility import violations
from .test_phone import PHONE, fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "已到现场查看，积水已清理，排水口疏通完毕。"
DRAFTS = """() => Object.fromEntries(Object.keys(localStorage)
  .filter(k => k.startsWith("hotline-draft:"))
  .map(k => [k, JSON.parse(localStorage.getItem(k)).values.body]))"""


def drafts(page) -> dict:
    return page.evaluate(DRAFTS)


def replies_posted(page) -> list:
    """The reply requests the page really sends, as the server would see them."""
    sent = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/reply/") else None,
    )
    return sent


def handler_on(as_role, province, t, **options):
    page = without_stream(as_role("fz_housing_handler", **PHONE, **options))
    ticket_page(page, t.number)
    settled(page)
    return page


def reply_events(t) -> int:
    return TicketEvent.objects.filter(ticket=t, action="reply").count()


def test_a_reply_sent_offline_is_kept_and_sent_once_when_the_network_is_back(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    handler = handler_on(as_role, province, t)
    sent = replies_posted(handler)
    key = f"hotline-draft:{province.users['fz_housing_handler'].pk}:reply:{t.number}"

    handler.context.set_offline(True)
    handler.fill("#reply-body", BODY)
    handler.get_by_role("button", name="提交答复").tap()
    note = handler.get_by_test_id("draft-note")
    assert note.inner_text() == "网络未连接：草稿已保存在本机，联网后自动提交。"
    assert sent == []
    assert drafts(handler) == {key: BODY}
    assert record(t.number).status == Status.IN_PROGRESS

    handler.context.set_offline(False)
    handler.get_by_text("已答复。").wait_for()
    settled(handler)
    assert len(sent) == 1
    assert (record(t.number).status, record(t.number).reply) == (Status.REPLIED, BODY)
    assert reply_events(t) == 1
    assert drafts(handler) == {}


def test_a_draft_is_there_after_a_reload_and_submits_once(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    handler = handler_on(as_role, province, t, bypass_csp=True)  # axe is an inline script
    sent = replies_posted(handler)

    handler.context.set_offline(True)
    handler.fill("#reply-body", BODY)
    handler.context.set_offline(False)
    handler.reload()
    settled(handler)
    assert handler.input_value("#reply-body") == BODY
    assert "已恢复本机保存的草稿" in handler.get_by_test_id("draft-note").inner_text()
    assert sent == []  # a restored draft waits for the handler's own tap
    assert violations(handler) == []
    fits_the_screen(handler)

    handler.get_by_role("button", name="提交答复").tap()
    handler.get_by_text("已答复。").wait_for()
    settled(handler)
    assert len(sent) == 1
    assert reply_events(t) == 1
    assert drafts(handler) == {}


def test_a_refused_reply_keeps_its_draft(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    handler = handler_on(as_role, province, t)
    handler.fill("#reply-body", "太短")  # the browser's minlength is 5
    handler.evaluate("document.getElementById('reply-body').removeAttribute('minlength')")
    handler.get_by_role("button", name="提交答复").tap()
    handler.get_by_test_id("error").wait_for()
    assert handler.input_value("#reply-body") == "太短"
    assert list(drafts(handler).values()) == ["太短"]
    assert record(t.number).status == Status.IN_PROGRESS


def test_no_draft_outlives_its_user_on_the_device(province, as_role, live_server):
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    handler = handler_on(as_role, province, t)
    handler.fill("#reply-body", BODY)
    assert list(drafts(handler).values()) == [BODY]
    # Another user signed in on the same phone (the session changed, nobody signed out).
    leader = as_role("fz_housing_leader", **PHONE)
    cookies = leader.context.cookies()
    leader.context.close()
    handler.context.add_cookies(cookies)
    ticket_page(handler, t.number)
    settled(handler)
    assert drafts(handler) == {}
    assert BODY not in handler.content()

    # Signing out drops the user's own drafts too.
    mine = handler_on(as_role, province, t)
    mine.fill("#reply-body", BODY)
    assert list(drafts(mine).values()) == [BODY]
    mine.get_by_role("button", name="退出").tap()
    mine.wait_for_url("**/login/")
    settled(mine)
    assert drafts(mine) == {}


def test_the_app_installs_and_opens_offline_without_keeping_any_page(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    handler = handler_on(as_role, province, t, service_workers="allow", bypass_csp=True)
    handler.context.route("**/realtime/stream/**", lambda route: route.abort())
    href = handler.get_attribute("link[rel=manifest]", "href")
    manifest = handler.request.get(handler.base + href)
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    app = json.loads(manifest.text())
    assert (app["start_url"], app["scope"], app["display"]) == ("/", "/", "standalone")
    for icon in app["icons"]:
        size = int(icon["sizes"].split("x")[0])
        assert handler.request.get(handler.base + href.rsplit("/", 1)[0] + "/" + icon["src"]).ok
        assert size in (192, 512)
    handler.wait_for_function("() => navigator.serviceWorker.controller !== null")

    handler.fill("#reply-body", BODY)
    handler.context.set_offline(True)
    handler.reload()
    assert "网络未连接" in handler.get_by_test_id("offline").inner_text()
    assert violations(handler) == []
    fits_the_screen(handler)
    handler.context.set_offline(False)
    ticket_page(handler, t.number)
    settled(handler)
    assert handler.input_value("#reply-body") == BODY
    # The device keeps static files only, never a page or an answer with citizens' data.
    kept = handler.evaluate(
        """async () => { const out = [];
          for (const name of await caches.keys()) {
            for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname);
          } return out; }"""
    )
    assert kept and all(path.startswith("/static/") for path in kept), kept


def test_the_service_worker_is_for_signed_in_users(client, province):
    assert client.get("/sw.js").status_code == 302
    client.force_login(province.users["fz_housing_handler"])
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert b"caches.open" in response.content
    assert client.post("/sw.js").status_code == 405
