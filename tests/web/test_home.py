import pytest

from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

pytestmark = pytest.mark.django_db


def test_home_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_speaks_chinese_and_refuses_a_wrong_password(client, province):
    response = client.post("/login/", {"username": "fz_agent", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_login_then_home_shows_my_posts_and_my_queue_counts(client, province):
    ticket_at(province, Status.DISPATCHED)
    response = client.post("/login/", {"username": "gl_housing_handler", "password": "pw"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "鼓楼区住建局 · 承办人" in page
    assert '<td>待签收</td><td data-label="工单数">1</td>' in page


def test_home_counts_only_what_the_user_may_see(client, province):
    ticket_at(province, Status.DISPATCHED)
    client.force_login(province.users["tj_housing_handler"])
    page = client.get("/").content.decode()
    assert '<td>待签收</td><td data-label="工单数">0</td>' in page


def test_admin_lists_tickets_read_only(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    client.force_login(province.users["admin"])
    assert t.number in client.get("/admin/tickets/ticket/").content.decode()
    page = client.get(f"/admin/tickets/ticket/{t.pk}/change/")
    assert page.status_code == 200
    assert client.post(f"/admin/tickets/ticket/{t.pk}/delete/").status_code == 403
