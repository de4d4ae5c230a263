"""The dashboard in Chromium: the charts draw (canvas), the numbers show, and a refresh
updates them in place without reloading the page."""

import datetime as dt

import pytest
from django.utils import timezone

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
    for chart in ("hours", "categories", "regions", "satisfaction"):
        assert page.locator(f"#chart-{chart} canvas").count() == 1
    assert page.locator("#kpi-open").text_content() == "1"
    assert page.locator("#alerts li").count() >= 1
    page.evaluate("window.__same_page = true")

    make_ticket(province, moment, channel="wechat")
    page.wait_for_function(
        "() => document.getElementById('kpi-today').textContent === '3'", timeout=20_000
    )
    assert page.evaluate("window.__same_page") is True  # updated in place, not reloaded
    page.wait_for_timeout(1500)  # let ECharts' update animation finish before the picture
    shot(page, "dashboard-01")
