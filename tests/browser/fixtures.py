"""Playwright (Python) driving Debian's Chromium against pytest-django's live server.

Never `playwright install`: the machines reach no browser download site, and Debian's
Chromium (`apt-get install chromium fonts-noto-cjk`, done by `make test`) is the browser.
Without it the browser tests are skipped, except with CI=true, where that is a failure.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

# Playwright's sync API runs an event loop in the test thread; the test's own ORM calls
# (setting up tickets, checking the record) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Screenshots go to a temporary folder; `make screenshots` points this at docs/screenshots.
SCREENSHOTS_ENV = "HOTLINE_SCREENSHOTS"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs chromium with apt-get")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def as_role(browser, live_server, province):
    """A page logged in as `username` (session cookie made by the test client: fast)."""
    contexts = []

    def open_as(username, **context_options):
        """`context_options` go to Playwright's new_context (a phone's viewport, touch)."""
        client = Client()
        client.force_login(province.users[username])
        # No service worker unless a test asks for one: `without_stream`'s page.route does not
        # see the requests a worker passes on, and one held stream stalls the SQLite server.
        options = {
            "viewport": {"width": 1360, "height": 900},
            "service_workers": "block",
            **context_options,
        }
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.base = live_server.url
        return page

    yield open_as
    for c in contexts:
        c.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where screenshots go: a temporary folder, or $HOTLINE_SCREENSHOTS (docs/screenshots
    when `make screenshots` runs the browser tests): a test never writes tracked files."""
    folder = os.environ.get(SCREENSHOTS_ENV)
    if not folder:
        return tmp_path_factory.mktemp("screenshots")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def shot(screenshots):
    """Save a full-page screenshot of `page` as <name>.png."""

    def save(page, name):
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)

    return save
