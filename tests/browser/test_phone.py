"""The workbench on a phone (390×844): handlers, unit leaders and supervisors in the field.

Every page a role reaches from its navigation, plus a ticket page, must fit the screen: no
horizontal scrolling (`scrollWidth <= clientWidth`). The pages are read from the role's own
navigation, so a page added to a role's menu is checked the day it appears.
"""

from pathlib import Path

import pytest
from django.urls import get_resolver
from PIL import Image

from hotline.tickets.models import Attachment, Status
from tests.tickets.factory import ticket_at

from .journeys import go, record, settled, status_of, ticket_page, without_stream

pytestmark = pytest.mark.django_db(transaction=True)
# The URL conf imports every app (the classifier, jieba...): tens of seconds on a loaded
# machine. Done here, once, rather than inside the first page's navigation timeout.
URLS = get_resolver().url_patterns

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
# What sticks out of the screen, to say which element breaks the layout when a page fails.
OVERFLOW = """() => {
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0) out.push(el.tagName + "." + el.className + " " + Math.round(r.right));
  }
  return {scroll: document.documentElement.scrollWidth, client: w, out: out.slice(0, 8)};
}"""


def fits_the_screen(page):
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["client"], (page.url, found)


def nav_pages(page) -> list[str]:
    """The pages of the role's navigation, as the header links them."""
    go(page, "/")
    hrefs = page.locator("#nav a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if not h.startswith("/admin/")]


def walk(page, shot, name, extra=()) -> list[str]:
    """Open every page of the role and check each fits; returns the pages seen."""
    page.set_default_navigation_timeout(60_000)  # analytics pages on a loaded machine
    pages = nav_pages(page) + list(extra)
    for path in pages:
        go(page, path)
        settled(page)
        fits_the_screen(page)
    return pages


def remaining_time_in_view(page) -> bool:
    """The countdown is on screen even at the bottom of a long ticket page."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = page.locator(".meta .countdown").bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844


@pytest.fixture
def photo(tmp_path) -> Path:
    """A real PNG, as a phone's camera would hand it over (made here, in the test's folder)."""
    path = tmp_path / "现场照片.png"
    Image.new("RGB", (64, 48), (200, 120, 40)).save(path)
    return path


def test_a_handler_works_a_ticket_on_a_phone_and_replies_with_a_photo(
    province, as_role, shot, settings, tmp_path, photo
):
    settings.MEDIA_ROOT = tmp_path / "media"
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    waiting = ticket_at(province, Status.DISPATCHED, lead="fz_housing")
    handler = without_stream(as_role("fz_housing_handler", **PHONE))

    pages = walk(handler, shot, "handler", extra=["/inbox/?tab=doing", f"/t/{t.number}/"])
    assert "/inbox/" in pages
    go(handler, "/inbox/")
    card = handler.get_by_test_id("queue").locator("tr", has_text=waiting.number)
    assert card.locator("td[data-label=剩余时间]").count() == 1
    shot(handler, "phone-handler-inbox")

    ticket_page(handler, t.number)
    assert remaining_time_in_view(handler)
    camera = handler.locator("#reply-photo")
    assert camera.get_attribute("accept") == "image/*"
    assert camera.get_attribute("capture") == "environment"
    handler.fill("#reply-body", "已到现场查看，积水已清理，排水口疏通完毕，照片附后。")
    camera.set_input_files(str(photo))
    shot(handler, "phone-handler-reply")
    handler.get_by_role("button", name="提交答复").tap()
    handler.get_by_text("已答复。").wait_for()
    assert status_of(handler) == "待审核"
    assert "现场照片.png" in handler.get_by_test_id("attachments").inner_text()
    fits_the_screen(handler)
    stored = Attachment.objects.get(ticket=t)
    assert (stored.name, stored.content_type, stored.size) == (
        "现场照片.png",
        "image/png",
        photo.stat().st_size,
    )
    assert record(t.number).status == Status.REPLIED


def test_a_bad_photo_refuses_the_whole_reply(province, as_role, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"not a picture at all")
    handler = without_stream(as_role("fz_housing_handler", **PHONE))
    ticket_page(handler, t.number)
    handler.fill("#reply-body", "已处理完毕，现场照片附后。")
    handler.locator("#reply-photo").set_input_files(str(fake))
    handler.get_by_role("button", name="提交答复").tap()
    assert "文件内容与扩展名不符" in handler.get_by_test_id("error").inner_text()
    assert record(t.number).status == Status.IN_PROGRESS
    assert Attachment.objects.filter(ticket=t).count() == 0


def test_a_unit_leader_approves_on_a_phone(province, as_role, shot):
    from hotline.tickets import lifecycle

    unit = province.units["fz_housing"]
    unit.leader_approval = True
    unit.save(update_fields=["leader_approval"])
    t = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")
    lifecycle.reply(
        ticket=t, by=province.users["fz_housing_handler"], body="已责成物业本周内清洗水箱。"
    )
    leader = without_stream(as_role("fz_housing_leader", **PHONE))

    pages = walk(leader, shot, "leader", extra=[f"/t/{t.number}/"])
    assert "/approvals/" in pages
    go(leader, "/approvals/")
    shot(leader, "phone-leader-approvals")
    leader.get_by_test_id("approvals").get_by_role("link", name=t.number).tap()
    leader.wait_for_url(f"**/t/{t.number}/")
    assert remaining_time_in_view(leader)
    leader.get_by_role("button", name="同意", exact=True).tap()
    leader.get_by_text("已分管领导同意。").wait_for()
    fits_the_screen(leader)
    assert record(t.number).status == Status.REPLIED


def test_a_supervisor_checks_the_field_on_a_phone(province, as_role, shot):
    t = ticket_at(province, Status.IN_PROGRESS)
    ticket_at(province, Status.DISPATCHED, lead="gl_town")
    supervisor = without_stream(as_role("fz_supervisor", **PHONE))

    pages = walk(supervisor, shot, "supervisor", extra=[f"/t/{t.number}/"])
    assert {"/supervise/", "/supervision/ledger/"} <= set(pages)
    go(supervisor, "/supervise/")
    shot(supervisor, "phone-supervisor-board")
    ticket_page(supervisor, t.number)
    assert remaining_time_in_view(supervisor)
    supervisor.get_by_text("督办", exact=True).first.tap()
    supervisor.fill("#supervise-reason", "暗访发现现场仍未处理")
    supervisor.get_by_role("button", name="督办").tap()
    supervisor.get_by_text("已督办。").wait_for()
    fits_the_screen(supervisor)
    shot(supervisor, "phone-supervisor-ticket")
    assert record(t.number).is_supervised is True


@pytest.mark.parametrize(
    "size",
    [
        PHONE,
        {"viewport": {"width": 1360, "height": 900}},
        {"viewport": {"width": 1024, "height": 768}},
    ],
)
def test_the_supervisor_s_home_reads_as_words_and_rows(province, as_role, size):
    """A dozen header entries wrap as whole words (they once broke into two-character columns
    at desk width), and on a phone the queue counts are cards without a card of headings."""
    page = without_stream(as_role("fz_supervisor", **size))
    go(page, "/")

    # How many font sizes tall each entry's own text is: one line is ~1.2 (the flex row
    # stretches the links themselves to the tallest, so their boxes say nothing).
    lines = page.locator("#nav a").evaluate_all(
        """els => els.map(e => {
          const r = document.createRange(); r.selectNodeContents(e);
          const rs = [...r.getClientRects()];
          const tall = Math.max(...rs.map(x => x.bottom)) - Math.min(...rs.map(x => x.top));
          return tall / parseFloat(getComputedStyle(e).fontSize);
        })"""
    )
    assert len(lines) >= 10
    assert max(lines) < 2, lines
    head = page.locator("main table thead")
    assert head.count() == 1
    shown = head.bounding_box()["height"]
    assert shown <= 1 if size is PHONE else shown > 10  # a phone reads each cell's label
    fits_the_screen(page)


def test_the_scorecards_read_each_figure_on_one_line_at_a_desk(province, as_role):
    """Percentages once broke inside the number ("0.00" over "%") and a unit's name ran to four
    lines in a 1360 px window."""
    ticket_at(province, Status.DISPATCHED, lead="fz_housing")
    page = without_stream(as_role("fz_supervisor", viewport={"width": 1360, "height": 900}))
    go(page, "/evaluation/scorecards/")
    tall = """els => els.map(e => {
      const r = document.createRange(); r.selectNodeContents(e);
      const rs = [...r.getClientRects()];
      const h = Math.max(...rs.map(x => x.bottom)) - Math.min(...rs.map(x => x.top));
      return [e.textContent.trim(), h / parseFloat(getComputedStyle(e).fontSize)];
    })"""
    figures = page.locator("a.figure").evaluate_all(tall)
    assert any(text.endswith("%") for text, _ in figures)
    assert max(h for _, h in figures) < 2, figures
    names = page.locator("td.unit-name").evaluate_all(tall)
    assert max(h for _, h in names) < 3.5, names  # at most two lines
