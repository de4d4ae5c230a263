import pytest
from axes.models import AccessAttempt

from hotline.orgs.models import Membership
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .helpers import as_user, text

pytestmark = pytest.mark.django_db


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, province):
    for _ in range(5):
        client.post("/login/", {"username": "fz_agent", "password": "wrong"})
    locked = client.post("/login/", {"username": "fz_agent", "password": "pw"})
    assert locked.status_code == 429
    assert "登录已暂时锁定" in text(locked)
    assert "_auth_user_id" not in client.session
    # The refused attempt during the lockout counts as one more failure.
    assert AccessAttempt.objects.get(username="fz_agent").failures_since_start == 6


def test_a_lockout_of_one_user_leaves_the_others_alone(client, province):
    for _ in range(5):
        client.post("/login/", {"username": "fz_agent", "password": "wrong"})
    response = client.post("/login/", {"username": "fz_dispatcher", "password": "pw"})
    assert response.status_code == 302


def test_a_successful_login_resets_the_failure_count(client, province):
    for _ in range(4):
        client.post("/login/", {"username": "fz_agent", "password": "wrong"})
    assert client.post("/login/", {"username": "fz_agent", "password": "pw"}).status_code == 302
    assert not AccessAttempt.objects.filter(username="fz_agent").exists()


@pytest.mark.parametrize(
    "username, queue, label",
    [
        ("fz_agent", "/intake/", "受理"),
        ("fz_dispatcher", "/dispatch/", "派单"),
        ("gl_housing_handler", "/inbox/", "承办"),
        ("fz_housing_leader", "/inbox/", "承办"),
        ("fz_reviewer", "/review/", "审核"),
        ("fz_callback", "/callback/", "回访"),
        ("fz_supervisor", "/supervise/", "督查"),
    ],
    ids=["agent", "dispatcher", "handler", "leader", "reviewer", "callback", "supervisor"],
)
def test_the_navigation_shows_only_the_queue_of_the_role(client, province, username, queue, label):
    page = text(as_user(client, province, username).get("/"))
    assert f'href="{queue}"' in page
    others = {"/intake/", "/dispatch/", "/inbox/", "/review/", "/callback/", "/supervise/"}
    for other in others - {queue}:
        assert f'href="{other}"' not in page
    assert client.get(queue).status_code == 200


@pytest.mark.parametrize(
    "username, queue",
    [
        ("gl_housing_handler", "/intake/"),
        ("fz_agent", "/dispatch/"),
        ("fz_dispatcher", "/inbox/"),
        ("gl_housing_handler", "/review/"),
        ("fz_reviewer", "/callback/"),
        ("fz_agent", "/supervise/"),
        ("fz_agent", "/supervise/export.xlsx"),
    ],
)
def test_a_queue_of_another_role_does_not_exist(client, province, username, queue):
    assert as_user(client, province, username).get(queue).status_code == 404


@pytest.mark.parametrize("url", ["/intake/", "/dispatch/", "/inbox/", "/t/x/", "/nav/"])
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_counter_shows_waiting_work_and_the_nav_partial_refreshes_it(client, province):
    ticket_at(province, Status.DISPATCHED)
    as_user(client, province, "gl_housing_handler")
    assert '<span class="badge" data-testid="nav-count">1</span>' in text(client.get("/"))
    ticket_at(province, Status.DISPATCHED)
    assert 'data-testid="nav-count">2</span>' in text(client.get("/nav/"))


def test_the_switcher_changes_the_queue_a_two_hatted_user_works_in(client, province):
    ticket_at(province, Status.DISPATCHED)  # for 鼓楼区住建局, where two_hats is a handler
    as_user(client, province, "two_hats")
    page = text(client.get("/inbox/"))
    assert "鼓楼区住建局" in page
    assert "小区电梯长期故障" in page
    leader = Membership.objects.get(user__username="two_hats", role="leader")
    response = client.post("/switch/", {"membership": leader.pk})
    assert response.status_code == 302
    page = text(client.get("/inbox/"))
    assert "台江区住建局" in page
    assert "小区电梯长期故障" not in page


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_the_switcher_refuses_a_membership_that_is_not_mine(client, province, value):
    foreign = Membership.objects.get(user__username="fz_agent")
    as_user(client, province, "two_hats")
    assert client.post("/switch/", {"membership": value}).status_code == 404
    assert client.post("/switch/", {"membership": foreign.pk}).status_code == 404


def test_the_switcher_needs_a_post(client, province):
    assert as_user(client, province, "two_hats").get("/switch/").status_code == 405


def test_htmx_is_served_by_the_app_from_npm_not_a_cdn(client, province):
    page = text(as_user(client, province, "fz_agent").get("/"))
    assert '<script src="/static/vendor/htmx/htmx.min.js"' in page
    assert "https://" not in page.split("<body")[0]


def test_a_superuser_without_a_post_has_no_queue_but_sees_any_ticket(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    client.force_login(province.users["admin"])
    assert client.get("/inbox/").status_code == 404
    assert client.get("/dispatch/").status_code == 404
    assert client.get(f"/t/{t.number}/").status_code == 200
