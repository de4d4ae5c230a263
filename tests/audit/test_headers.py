"""Browser protections on every response, and no inline script in any template."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "hotline").glob("*/templates/**/*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_there_are_templates_to_scan():
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "hotline")))
def test_no_template_carries_inline_script(template):
    text = template.read_text()
    assert INLINE_SCRIPT.findall(text) == []
    assert EVENT_ATTRIBUTE.findall(text) == []
    assert JS_URL.findall(text) == []


def test_pages_carry_the_content_security_policy(client, province):
    # given a signed-in agent
    client.force_login(province.users["fz_agent"])
    # when a page is fetched over HTTPS
    response = client.get("/", secure=True)
    # then the policy forbids inline script and framing, and the other headers are set
    assert response.status_code == 200
    policy = dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";"))
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_session_and_csrf_cookies_are_secure_and_the_session_cookie_is_http_only(client, province):
    # given the login page (which sets the CSRF cookie)
    page = client.get("/login/", secure=True)
    assert page.cookies["csrftoken"]["secure"] is True
    # when a user signs in
    response = client.post("/login/", {"username": "fz_agent", "password": "pw"}, secure=True)
    # then the session cookie is HTTPS-only and hidden from scripts
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
