"""The calls API: who sees which calls, recordings only in scope, the agent's endpoints."""

import pytest

from hotline.calls import agents
from hotline.calls.models import Call, CallTicket
from hotline.tickets import lifecycle
from hotline.tickets.models import TicketEvent
from hotline.tickets.registration import RegisterInput

from .conftest import answered_call, event, offered


@pytest.fixture
def calls(post, province, phone):
    """One 福州 call answered by fz_agent (with a recording), one 鼓楼 call nobody took."""
    agents.sign_in(user=province.users["fz_agent"], seat=phone.seats["1001"])
    events = answered_call("fz1")
    events[3]["recording"] = "rec/fz1.wav"
    post(events)
    post([offered("gl1", "gl1-1", 0, queue=None), event("gl1", "gl1-2", "abandoned", 20)])
    gl = Call.objects.get(platform_call_id="gl1")
    gl.center = province.units["gl"]
    gl.save()
    return {"fz": Call.objects.get(platform_call_id="fz1"), "gl": gl}


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        pytest.param("fz_agent", {"fz1"}, id="agent-own-calls"),
        pytest.param("fz_dispatcher", {"fz1", "gl1"}, id="city-center-and-below"),
        pytest.param("gl_dispatcher", {"gl1"}, id="county-center"),
        pytest.param("xm_dispatcher", set(), id="other-city"),
        pytest.param("prov_supervisor", {"fz1", "gl1"}, id="province"),
        pytest.param("fz_housing_handler", set(), id="handling-unit"),
    ],
)
def test_the_call_list_and_detail_follow_the_scope(client, province, calls, username, sees):
    client.force_login(province.users[username])

    listed = {c["platform_call_id"] for c in client.get("/api/v1/calls").json()["calls"]}
    details = {
        key: client.get(f"/api/v1/calls/{call.pk}").status_code for key, call in calls.items()
    }

    assert listed == sees
    assert details == {
        "fz": 200 if "fz1" in sees else 404,
        "gl": 200 if "gl1" in sees else 404,
    }


def test_anonymous_gets_401_everywhere(client, calls):
    for url in ("/api/v1/calls", f"/api/v1/calls/{calls['fz'].pk}", "/api/v1/calls/agent/me"):
        assert client.get(url).status_code == 401


def test_the_recording_is_in_the_detail_only(client, province, calls):
    client.force_login(province.users["fz_dispatcher"])

    listed = client.get("/api/v1/calls").json()["calls"]
    detail = client.get(f"/api/v1/calls/{calls['fz'].pk}").json()

    assert all("recording" not in c for c in listed)
    assert detail["recording"] == "rec/fz1.wav"
    assert [e["type"] for e in detail["events"]] == ["offered", "ringing", "answered", "ended"]


def test_the_agent_signs_in_goes_ready_and_signs_out_over_the_api(client, province, phone):
    client.force_login(province.users["fz_agent"])

    signed = client.post(
        "/api/v1/calls/agent/sign-in",
        {"seat": phone.seats["1001"].pk},
        content_type="application/json",
    )
    ready = client.post(
        "/api/v1/calls/agent/state", {"state": "ready"}, content_type="application/json"
    )
    me = client.get("/api/v1/calls/agent/me").json()
    out = client.post("/api/v1/calls/agent/sign-out")

    assert signed.status_code == 200
    assert (ready.json()["state"], me["state"], me["seat"]["code"]) == ("ready", "ready", "1001")
    assert out.json()["signed_in"] is False


def test_signing_in_to_another_citys_seat_is_404(client, province, phone):
    client.force_login(province.users["fz_agent"])

    response = client.post(
        "/api/v1/calls/agent/sign-in",
        {"seat": phone.seats["9001"].pk},
        content_type="application/json",
    )

    assert response.status_code == 404


def test_the_current_call_carries_the_screen_pop(client, post, province, phone):
    agents.sign_in(user=province.users["fz_agent"], seat=phone.seats["1001"])
    post(answered_call("p1", caller="059187654321")[:3])
    client.force_login(province.users["fz_agent"])

    me = client.get("/api/v1/calls/agent/me").json()

    assert me["state"] == "on_call"
    assert me["call"]["number"] == "059187654321"
    assert me["call"]["history"]["region"] == {"code": "350100", "name": "福建省福州市"}


@pytest.fixture
def ticket(province):
    t, _ = lifecycle.register(
        by=province.users["fz_agent"],
        data=RegisterInput(
            channel="phone",
            appeal_type="complaint",
            title="噪音扰民",
            content="夜间施工噪音严重，影响休息。",
            citizen_phone="13800000001",
            region="350102",
        ),
    )
    return t


def test_a_call_continues_an_open_ticket_with_a_supplement(client, province, calls, ticket):
    client.force_login(province.users["fz_agent"])

    response = client.post(
        f"/api/v1/calls/{calls['fz'].pk}/tickets",
        {"ticket": ticket.number, "kind": "supplement", "note": "市民补充：施工到凌晨两点"},
        content_type="application/json",
    )

    assert response.status_code == 200
    link = CallTicket.objects.get()
    assert (link.kind, link.ticket_id) == ("continued", ticket.pk)
    last = TicketEvent.objects.filter(ticket=ticket).order_by("-seq").first()
    assert (last.action, last.data["note"]) == ("supplement", "市民补充：施工到凌晨两点")


def test_the_caller_history_lists_the_callers_tickets(client, province, calls, ticket):
    client.force_login(province.users["fz_agent"])

    history = client.get("/api/v1/calls/history", {"number": "13800000001"}).json()

    assert [t["number"] for t in history["tickets"]] == [ticket.number]
    assert history["tickets"][0]["open"] is True
    assert history["repeat_caller"] is True


def test_the_screen_pop_counts_the_callers_earlier_calls(client, post, province, phone, calls):
    agents.set_state(user=province.users["fz_agent"], state="ready")
    post(answered_call("p2", caller="13800000001", t=600)[:3])
    client.force_login(province.users["fz_agent"])

    me = client.get("/api/v1/calls/agent/me").json()

    # fz1 and gl1 came from the same number ten minutes before.
    assert (me["call"]["history"]["repeat_calls"], me["call"]["history"]["risk"]) == (2, False)
