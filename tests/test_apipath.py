"""A bearer API request skips the browser's middleware; everything else still runs it."""

import pytest

from hotline.audit.security import evaluate
from hotline.orgs.services import issue_token
from tests.api.helpers import post
from tests.api.test_nul_input import DEMAND

pytestmark = pytest.mark.django_db


def test_a_bearer_registration_sets_no_cookie_and_keeps_nosniff(client, province):
    # Given an agent's token
    _, key = issue_token(user=province.users["fz_agent"], name="对接")
    # When a demand is registered with it
    response = post(client, "/tickets", DEMAND, HTTP_AUTHORIZATION=f"Bearer {key}")
    # Then it is registered, answered without any cookie or page policy, still nosniff
    assert response.status_code == 201, response.content.decode()
    assert response.json()["status"] == "pending_dispatch"
    assert not response.cookies
    assert "Content-Security-Policy" not in response
    assert "Vary" not in response or "Cookie" not in response["Vary"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_wrong_token_beside_a_signed_in_session_is_refused(client, province):
    # Given a browser signed in as the agent (its session would be enough alone)
    client.force_login(province.users["fz_agent"])
    assert client.get("/api/v1/tickets").status_code == 200
    # When it sends a wrong bearer token
    response = client.get("/api/v1/tickets", HTTP_AUTHORIZATION="Bearer hl_wrong")
    # Then the token decides: 401 in the API's error shape, the session is not used
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_session_api_request_still_checks_csrf(province):
    # Given a browser session with CSRF checks on (the test client skips them by default)
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(province.users["fz_agent"])
    # When it posts to the API without the CSRF token
    response = post(browser, "/tickets", DEMAND)
    # Then it is refused, and a page still carries the content security policy
    assert response.status_code == 403
    assert "Content-Security-Policy" in browser.get("/", secure=True)


def test_the_security_check_sees_csp_and_the_second_factor_middleware():
    found = {f.name: f for f in evaluate()}
    # The middleware are hotline.apipath's subclasses now: still found installed
    assert "未启用" not in found["CONTENT_SECURITY_POLICY"].shown
    assert "未启用" not in found["OTP"].shown
