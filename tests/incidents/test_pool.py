"""The province-wide overflow pool and temporary agents."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from hotline.calls import services as calls
from hotline.calls.models import AgentState, Call, CallQueue, Seat
from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.incidents import overflow, temporary
from hotline.incidents.models import OverflowRegistration
from hotline.orgs import scope
from hotline.orgs.models import User
from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from tests.calls.conftest import sign_headers
from tests.tickets.factory import demand

from .test_incidents import declare


@pytest.fixture
def cti(p, client):
    """The province's call platform: 福州's queue, a 福州 seat and a 厦门 seat."""
    platform, secret = calls.create_platform(code="provcti", name="省平台", center=p.units["prov"])
    CallQueue.objects.create(code="fz", name="福州", center=p.units["fz"])
    seats = {
        "1001": Seat.objects.create(code="1001", center=p.units["fz"]),
        "9001": Seat.objects.create(code="9001", center=p.units["xm"]),
    }
    clock = iter(range(int(time.time()) - 200, int(time.time())))

    def post(events):
        body = json.dumps({"events": events}).encode()
        head = sign_headers("provcti", secret, body, now=next(clock))
        response = client.post("/api/v1/cti/events", body, content_type="application/json", **head)
        assert response.status_code == 200, response.content
        return response

    return post, seats


def at(seconds_ago):
    return (timezone.now() - dt.timedelta(seconds=seconds_ago)).isoformat()


def queued(post, n, *, waited=30):
    post(
        [
            {
                "event_id": f"q{i}",
                "call_id": f"q{i}",
                "type": "offered",
                "at": at(waited),
                "caller": "13900000000",
                "called": "12345",
                "queue": "fz",
            }
            for i in range(n)
        ]
    )


def test_a_queue_over_its_threshold_overflows_to_ready_pool_agents_of_other_cities(p, cti):
    post, seats = cti
    fz = p.units["fz"]
    overflow.set_rule(by=p.users["fz_admin"], center=fz, max_waiting=2, max_wait_seconds=120)
    overflow.mark_agent(by=p.users["xm_admin"], user=p.users["xm_agent"])
    overflow.mark_agent(by=p.users["fz_admin"], user=p.users["fz_agent"])
    calls.sign_in(user=p.users["xm_agent"], seat=seats["9001"])
    calls.set_state(user=p.users["xm_agent"], state=AgentState.READY)
    calls.sign_in(user=p.users["fz_agent"], seat=seats["1001"])
    calls.set_state(user=p.users["fz_agent"], state=AgentState.READY)
    queued(post, 2)
    assert overflow.status(fz)["overflowing"] is False
    assert overflow.targets(fz) == []
    queued_more = [
        {
            "event_id": "q9",
            "call_id": "q9",
            "type": "offered",
            "at": at(5),
            "caller": "13900000009",
            "called": "12345",
            "queue": "fz",
        }
    ]
    post(queued_more)
    assert overflow.status(fz)["waiting"] == 3
    assert [t["seat"] for t in overflow.targets(fz)] == ["9001"]


def test_the_longest_wait_alone_passes_the_threshold(p, cti):
    post, _ = cti
    overflow.set_rule(
        by=p.users["fz_admin"], center=p.units["fz"], max_waiting=50, max_wait_seconds=60
    )
    queued(post, 1, waited=90)
    assert overflow.status(p.units["fz"])["overflowing"] is True


@pytest.mark.parametrize(
    ("by", "user", "error"),
    [
        pytest.param("fz_admin", "xm_agent", Forbidden, id="another-centers-agent"),
        pytest.param("xm_admin", "xm_dispatcher", InvalidInput, id="not-an-agent"),
    ],
)
def test_only_a_centers_manager_marks_its_own_agents(p, by, user, error):
    with pytest.raises(error):
        overflow.mark_agent(by=p.users[by], user=p.users[user])


def overflow_call(p, cti):
    post, seats = cti
    overflow.mark_agent(by=p.users["xm_admin"], user=p.users["xm_agent"])
    calls.sign_in(user=p.users["xm_agent"], seat=seats["9001"])
    calls.set_state(user=p.users["xm_agent"], state=AgentState.READY)
    post(
        [
            {
                "event_id": "c1",
                "call_id": "c1",
                "type": "offered",
                "at": at(20),
                "caller": "13900000001",
                "called": "12345",
                "queue": "fz",
            },
            {"event_id": "c2", "call_id": "c1", "type": "answered", "at": at(10), "agent": "9001"},
        ]
    )
    return Call.objects.get(platform_call_id="c1")


def test_a_pool_agent_registers_for_the_callers_city_and_sees_nothing_of_it(p, cti):
    secret, _ = lifecycle.register(
        by=p.users["fz_agent"],
        data=demand(channel="phone", confidential=True, citizen_phone="13900000001"),
    )
    call = overflow_call(p, cti)
    assert (call.center_id, call.agent_id) == (p.units["fz"].pk, p.users["xm_agent"].pk)
    ticket = overflow.register_for(
        by=p.users["xm_agent"], call_id=call.pk, data=demand(channel="phone", region="350102")
    )
    assert (ticket.center_id, ticket.region.code, ticket.status) == (
        p.units["fz"].pk,
        "350102",
        Status.PENDING_DISPATCH,
    )
    record = OverflowRegistration.objects.get(ticket=ticket)
    assert (record.home_center, record.for_center, record.call) == (
        p.units["xm"],
        p.units["fz"],
        call,
    )
    xm_agent = User.objects.get(pk=p.users["xm_agent"].pk)
    assert list(scope.visible_tickets(xm_agent)) == []
    assert scope.is_visible(xm_agent, secret) is False


def test_no_registration_for_another_city_without_an_overflow_call(p, cti):
    call = overflow_call(p, cti)
    with pytest.raises(NotFound):
        overflow.register_for(by=p.users["fz_agent"], call_id=call.pk, data=demand(channel="phone"))
    overflow.mark_agent(by=p.users["xm_admin"], user=p.users["xm_agent"], active=False)
    with pytest.raises(NotFound):
        overflow.register_for(by=p.users["xm_agent"], call_id=call.pk, data=demand(channel="phone"))


def test_a_temporary_agents_work_waits_at_the_center_and_only_they_see_it(p, client):
    incident = declare(p)
    agent, password = temporary.enroll(
        by=p.users["fz_admin"], incident=incident, username="vol01", full_name="志愿者甲"
    )
    user = agent.user
    ticket = temporary.register(by=user, data=demand(channel="phone", region="350102"))
    assert (ticket.status, ticket.center) == (Status.REGISTERED, p.units["fz"])
    assert list(temporary.own_tickets(user)) == [ticket]
    other, _ = lifecycle.register(by=p.users["fz_agent"], data=demand(channel="phone"))
    assert list(scope.visible_tickets(user)) == []
    client.force_login(user)
    assert client.get(f"/t/{ticket.number}/").status_code == 404
    assert client.get(f"/t/{other.number}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{other.number}").status_code == 404
    # The center reviews it: accepted by its own staff, then it moves on.
    accepted = lifecycle.accept(ticket=ticket, by=p.users["fz_agent"])
    assert accepted.status == Status.PENDING_DISPATCH
    assert password


def test_only_the_incidents_managers_enroll_temporary_agents(p):
    incident = declare(p)
    with pytest.raises(Forbidden):
        temporary.enroll(
            by=p.users["fz_agent"], incident=incident, username="vol02", full_name="乙"
        )
    with pytest.raises(NotFound):
        temporary.enroll(
            by=p.users["xm_admin"], incident=incident, username="vol02", full_name="乙"
        )
    assert not User.objects.filter(username="vol02").exists()


def test_a_revoked_temporary_agent_registers_nothing(p):
    incident = declare(p)
    agent, _ = temporary.enroll(
        by=p.users["fz_admin"], incident=incident, username="vol03", full_name="丙"
    )
    temporary.revoke(by=p.users["fz_admin"], agent=agent)
    with pytest.raises(NotFound):
        temporary.register(by=agent.user, data=demand(channel="phone"))
