"""Attacks on the pages: stored XSS from a citizen's demand, CSRF, SQL injection in filters,
IDOR on another city's ticket. Each is a request an attacker could send."""

import pytest
from django.test import Client

from hotline.tickets.models import Status, Ticket
from tests.tickets.factory import ticket_at

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def poisoned(province):
    """A demand whose title, content, name and address carry script."""
    return ticket_at(
        province,
        Status.PENDING_DISPATCH,
        title=PAYLOAD,
        content=PAYLOAD,
        citizen_name=PAYLOAD[:30],
        address=PAYLOAD,
    )


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("fz_agent", "/t/{number}/"),
        ("fz_dispatcher", "/dispatch/"),
    ],
    ids=["ticket-page", "dispatch-queue"],
)
def test_stored_script_is_shown_as_text_everywhere(client, province, poisoned, user, path):
    client.force_login(province.users[user])
    response = client.get(path.format(number=poisoned.number))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert 'onerror="alert(2)"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(province, poisoned):
    # given the dispatcher's signed-in browser, lured to another site that posts for it
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(province.users["fz_dispatcher"])
    response = browser.post(f"/t/{poisoned.number}/invalid/", {"reason": "恶意"})
    assert response.status_code == 403
    poisoned.refresh_from_db()
    assert poisoned.status == Status.PENDING_DISPATCH


@pytest.mark.parametrize(
    "attack",
    [
        "' OR '1'='1",
        "1; DROP TABLE tickets_ticket; --",
        "%' UNION SELECT password FROM orgs_user --",
    ],
    ids=["tautology", "stacked", "union"],
)
def test_sql_in_filters_is_data_not_code(client, province, poisoned, attack):
    client.force_login(province.users["fz_supervisor"])
    page = client.get("/supervise/", {"q": attack, "region": attack, "urgency": attack})
    assert page.status_code in (200, 400)
    api = client.get("/api/v1/tickets", {"q": attack, "status": attack, "region": attack})
    assert api.status_code in (200, 422)
    assert Ticket.objects.filter(pk=poisoned.pk).exists()
    assert "pbkdf2" not in page.content.decode() + api.content.decode()


def test_another_citys_ticket_is_not_found_by_its_number(client, province, poisoned):
    # 厦门's agent guesses 福州's ticket number: page, API and chain all answer 404
    client.force_login(province.users["xm_agent"])
    assert client.get(f"/t/{poisoned.number}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{poisoned.number}").status_code == 404
    assert client.get(f"/api/v1/tickets/{poisoned.number}/chain").status_code == 404
