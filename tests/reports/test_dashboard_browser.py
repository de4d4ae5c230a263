"""The dashboard in Chromium: the charts draw (canvas), the numbers show, and a refresh
updates them in place without reloading the page."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hotline.catalog.calendar import to_local
from hotline.tickets.models import Status

from .conftest import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_dashboard_draws_and_refreshes(as_role, shot, province, categories, settings):
    settings.DASHBOARD_REFRESH_SECONDS = 3  # the page's own timer, shortened for the test
    now = timezone.now()
    moment = max(now - dt.timedelta(minutes=20), to_local(now).replace(hour=0, minute=1))
    make_ticket(province, moment, channel="phone", category=categories.property)
    make_ticket(province, moment, channel="web", to=Status.CLOSED, category=categories.social)
    page = as_role("fz_analyst")
    # ECharts is a megabyte served by the test server: more time than a page of ours.
    page.goto(page.base + "/reports/dashboard/", timeout=60_000)
    page.wait_for_function(
        "() => document.getElementById('kpi-today').textContent === '2'", timeout=30_000
    )
    # The four panels arrive by four separate requests: each is waited for, not only "today".
    for chart in ("hours", "categories", "regions", "satisfaction"):
        expect(page.locator(f"#chart-{chart} canvas")).to_have_count(1, timeout=30_000)
    expect(page.locator("#kpi-open")).to_have_text("1")
    expect(page.locator("#alerts li").first).to_be_attached(timeout=30_000)
    page.evaluate("window.__same_page = true")

    make_ticket(province, moment, channel="wechat")
    page.wait_for_function(
        "() => document.getElementById('kpi-today').textContent === '3'", timeout=20_000
    )
    assert page.evaluate("window.__same_page") is True  # updated in place, not reloaded
    page.wait_for_timeout(1500)  # let ECharts' update animation finish before the picture
    shot(page, "dashboard-01")


# Everything that must stay whole on the wall screen: a box whose content is wider or taller
# than itself is clipped (overflow hidden) or scrolls (the alerts list may, and is not here).
FITS = """() => {
  const doc = document.documentElement;
  const out = [];
  if (doc.scrollWidth > doc.clientWidth) out.push(`page width ${doc.scrollWidth} > ${doc.clientWidth}`);
  if (doc.scrollHeight > doc.clientHeight) out.push(`page height ${doc.scrollHeight} > ${doc.clientHeight}`);
  for (const el of document.querySelectorAll("header, h1, .meta, .kpi, .kpi span, .kpi strong, .panel, .panel h2, .chart")) {
    const r = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.className || el.tagName} clips its width`);
    if (r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5 || r.left < 0 || r.top < 0) {
      out.push(`${el.className || el.tagName} outside the screen`);
    }
  }
  return out;
}"""
SIZES = """() => Object.fromEntries(["h1", ".kpi span", ".kpi strong", ".panel h2", ".alerts"].map(
  (s) => [s, parseFloat(getComputedStyle(document.querySelector(s)).fontSize)]))"""


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)], ids=["1080p", "4k"])
def test_the_wall_screen_fits_and_its_text_grows_with_the_screen(
    as_role, shot, province, categories, width, height
):
    from tests.browser.journeys import without_stream
    from tests.browser.test_accessibility import violations

    now = timezone.now()
    moment = max(now - dt.timedelta(minutes=20), to_local(now).replace(hour=0, minute=1))
    make_ticket(province, moment, channel="phone", category=categories.property)
    page = without_stream(
        as_role("fz_analyst", viewport={"width": width, "height": height}, bypass_csp=True)
    )
    page.goto(page.base + "/reports/dashboard/", timeout=60_000)
    page.wait_for_function(
        "() => document.getElementById('kpi-today').textContent === '1'"
        " && document.querySelectorAll('.chart canvas').length === 4",
        timeout=30_000,
    )

    assert page.evaluate(FITS) == []
    sizes = page.evaluate(SIZES)
    scale = width / 1920
    # 16 px text at 1920 wide (the root size), twice that on a 4K screen: each size in
    # proportion to the screen's width.
    assert sizes == pytest.approx(
        {
            "h1": 26 * scale,
            ".kpi span": 15 * scale,
            ".kpi strong": 38 * scale,
            ".panel h2": 16 * scale,
            ".alerts": 14 * scale,
        },
        abs=0.05,
    )
    # The charts' labels grow as well (ECharts draws them on the canvas).
    label = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-hours'))"
        ".getOption().xAxis[0].axisLabel.fontSize"
    )
    assert label == round(12 * scale)
    assert violations(page) == []
    shot(page, f"dashboard-{width}x{height}")


def test_on_a_phone_the_screen_is_one_column_that_scrolls(as_role, shot, province, categories):
    """At 390 px the title once stood as a column of single characters and the satisfaction
    figure ran off the screen; the page now scrolls down, never sideways."""
    from tests.browser.journeys import without_stream

    now = timezone.now()
    moment = max(now - dt.timedelta(minutes=20), to_local(now).replace(hour=0, minute=1))
    make_ticket(province, moment, channel="web", to=Status.CLOSED, category=categories.social)
    page = without_stream(as_role("fz_analyst", viewport={"width": 390, "height": 844}))
    page.goto(page.base + "/reports/dashboard/", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.chart canvas').length === 4", timeout=30_000
    )
    page.wait_for_function("() => document.getElementById('kpi-satisfaction').textContent !== '—'")
    # On a phone the page is longer than the screen by design: only the width must fit.
    tall = [p for p in page.evaluate(FITS.replace("r.bottom > innerHeight + 0.5 || ", ""))
            if not p.startswith("page height")]  # fmt: skip
    assert tall == []
    title = page.locator("h1").bounding_box()
    assert title["height"] < 4 * 20  # two lines at most, not one character per line
    charts = page.locator(".chart").evaluate_all("els => els.map(e => e.clientHeight)")
    assert min(charts) >= 200
    shot(page, "dashboard-phone")
