"""话务监控 and 回拨 pages: what each role may open (out of scope = 404), the figures shown,
the 回拨 queue's take / one-click dial / outcome, and 回访 click-to-dial from a ticket."""

import pytest
from django.utils import timezone

from hotline.calls import agents, rollup
from hotline.calls.models import Call, CallbackItem, DialRequest
from hotline.catalog.calendar import to_local
from hotline.tickets.models import Status

from ..tickets.factory import ticket_at
from .conftest import event, offered


def board(client, user, query=""):
    client.force_login(user)
    return client.get(f"/calls/wallboard/{query}")


@pytest.mark.parametrize(
    ("username", "query", "status"),
    [
        ("fz_supervisor", "", 200),
        ("fz_supervisor", "?center={fz}", 200),
        ("fz_supervisor", "?center={gl}", 200),  # a county center below the city
        ("fz_dispatcher", "?center={fz}", 200),
        ("fz_supervisor", "?center={xm}", 404),
        ("fz_supervisor", "?center={fz_housing}", 404),  # not a center
        ("fz_supervisor", "?center=province", 404),
        ("fz_supervisor", "?center=abc", 404),
        ("prov_supervisor", "", 200),
        ("prov_supervisor", "?center={xm}", 200),
        ("fz_agent", "", 404),  # agents see their own calls, not the center's
        ("fz_housing_handler", "", 404),
    ],
)
def test_wallboard_scope(client, province, username, query, status):
    ids = {k: u.pk for k, u in province.units.items()}

    response = board(client, province.users[username], query.format(**ids))

    assert response.status_code == status


def test_the_data_endpoint_has_the_same_scope(client, province):
    client.force_login(province.users["fz_supervisor"])

    assert client.get(f"/calls/wallboard/data/?center={province.units['xm'].pk}").status_code == 404
    assert client.get("/calls/wallboard/data/?center=province").status_code == 404


def test_the_wallboard_shows_todays_calls_and_agents(client, province, phone, post):
    # given an answered call (now) and a ready agent at 福州
    agents.sign_in(user=province.users["fz_agent"], seat=phone.seats["1001"])
    agents.set_state(user=province.users["fz_agent"], state="ready")
    post([offered("n1", "n1-1", 0), event("n1", "n1-2", "answered", 4, agent="1001")])
    post([offered("n2", "n2-1", 0, caller="13700000002")])  # still waiting
    # the conftest's events are dated on a fixed day: move them to today for the board
    now = timezone.now()
    Call.objects.update(day=to_local(now).date(), hour=to_local(now).hour, offered_at=now)
    rollup.rebuild()  # the board's day figures read the rollup, which that update went around

    response = board(client, province.users["fz_supervisor"])
    snapshot = response.context["snapshot"]

    assert (snapshot["waiting"], snapshot["talking"]) == (1, 1)
    assert snapshot["agents"]["on_call"] == 1
    assert (snapshot["today"]["offered"], snapshot["today"]["answered"]) == (2, 1)
    assert sum(h["offered"] for h in snapshot["hourly"]) == 2
    data = client.get(f"/calls/wallboard/data/?center={province.units['fz'].pk}").json()
    assert (data["waiting"], data["today"]["answered"], data["service_level_seconds"]) == (1, 1, 15)
    assert 'data-testid="k-answered">1<' in response.content.decode()


@pytest.fixture
def item(post):
    post([offered("w", "w1", 0, caller="13900001111"), event("w", "w2", "abandoned", 30)])
    return CallbackItem.objects.get()


def test_the_callback_queue_lists_items_with_their_limit(client, province, item):
    client.force_login(province.users["fz_agent"])

    page = client.get("/calls/callbacks/").content.decode()

    # Masked like a ticket's phone (issue 18): the dial button calls by item, not by number.
    assert f'data-item="{item.pk}"' in page
    assert "139****1111" in page
    assert "13900001111" not in page
    assert page.count("data-deadline=") == 1
    assert "放弃（等待 30 秒）" in page
    # The tab shown is the tab marked (the tabs' style reads aria-current).
    assert 'aria-current="page">待回拨</a>' in page
    done = client.get("/calls/callbacks/?show=done").content.decode()
    assert 'aria-current="page">已回拨</a>' in done and f'data-item="{item.pk}"' not in done


@pytest.mark.parametrize("username", ["xm_agent", "fz_supervisor", "fz_housing_handler"])
def test_the_callback_queue_out_of_scope(client, province, item, username):
    client.force_login(province.users[username])

    page = client.get("/calls/callbacks/")
    take = client.post(f"/calls/callbacks/{item.pk}/take/")
    dial = client.post(f"/calls/callbacks/{item.pk}/dial/")
    outcome = client.post(f"/calls/callbacks/{item.pk}/outcome/", {"status": "done"})

    if username == "xm_agent":
        assert f'data-item="{item.pk}"' not in page.content.decode()
    else:
        assert page.status_code == 404
    assert (take.status_code, dial.status_code, outcome.status_code) == (404, 404, 404)
    assert CallbackItem.objects.get().status == "open"
    assert DialRequest.objects.count() == 0


def test_one_click_callback_then_the_outcome(client, province, phone, item):
    user = province.users["fz_agent"]
    agents.sign_in(user=user, seat=phone.seats["1001"])
    client.force_login(user)

    dialed = client.post(f"/calls/callbacks/{item.pk}/dial/", follow=True)
    recorded = client.post(
        f"/calls/callbacks/{item.pk}/outcome/", {"status": "done", "note": "已答复"}, follow=True
    )

    assert "正在呼叫 139****1111" in dialed.content.decode()
    request = DialRequest.objects.get()
    assert (request.purpose, request.number, request.seat.code, request.callback) == (
        "callback",
        "13900001111",
        "1001",
        item,
    )
    assert "已记录 139****1111 的回拨结果：已回拨" in recorded.content.decode()
    item.refresh_from_db()
    assert (item.status, item.attempts, item.done_by, item.outcome_note) == (
        "done",
        1,
        user,
        "已答复",
    )


def test_dialing_without_a_seat_is_refused_in_chinese(client, province, item):
    client.force_login(province.users["fz_agent"])

    response = client.post(f"/calls/callbacks/{item.pk}/dial/", follow=True)

    assert "请先签入座席" in response.content.decode()
    assert DialRequest.objects.count() == 0


@pytest.fixture
def ticket(province):
    return ticket_at(province, Status.REVIEWED)  # waiting for its 回访


def test_click_to_dial_for_a_ticket_callback(client, province, phone, ticket):
    user = province.users["fz_callback"]
    agents.sign_in(user=user, seat=phone.seats["1001"])
    client.force_login(user)

    response = client.post(
        "/calls/dial/ticket/", {"ticket": ticket.number, "next": f"/t/{ticket.number}/"}
    )

    assert (response.status_code, response["Location"]) == (302, f"/t/{ticket.number}/")
    request = DialRequest.objects.get()
    assert (request.purpose, request.ticket, request.number) == ("ticket", ticket, "13800000001")


def test_click_to_dial_for_a_ticket_out_of_scope(client, province, phone, ticket):
    client.force_login(province.users["xm_agent"])

    response = client.post("/calls/dial/ticket/", {"ticket": ticket.number})

    assert response.status_code == 404
    assert DialRequest.objects.count() == 0


def test_the_nav_links_by_role(client, province):
    client.force_login(province.users["fz_agent"])
    agent_page = client.get("/").content.decode()
    client.force_login(province.users["fz_supervisor"])
    supervisor_page = client.get("/").content.decode()

    assert 'href="/calls/desk/"' in agent_page and 'href="/calls/callbacks/"' in agent_page
    assert 'href="/calls/wallboard/"' not in agent_page
    assert 'href="/calls/wallboard/"' in supervisor_page
    assert 'href="/calls/desk/"' not in supervisor_page
