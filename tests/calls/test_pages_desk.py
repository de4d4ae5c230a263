"""The agent's desktop pages: seat sign-in, states, the screen pop, the form tied to the call,
补充/催办; each page for agents only, and only with the agent's own calls."""

import pytest

from hotline.calls import agents
from hotline.calls.models import AgentSession, AgentStateChange, Call, CallTicket
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, Ticket, TicketEvent

from ..tickets.factory import demand, ticket_at
from .conftest import event, offered


@pytest.fixture
def agent(client, province, phone):
    user = province.users["fz_agent"]
    client.force_login(user)
    return user


def answered(post, call_id="c1", caller="13800000001", seat="1001"):
    post(
        [
            offered(call_id, f"{call_id}-1", 0, caller=caller),
            event(call_id, f"{call_id}-2", "ringing", 3, agent=seat),
            event(call_id, f"{call_id}-3", "answered", 5, agent=seat),
        ]
    )
    return Call.objects.get(platform_call_id=call_id)


def test_an_agent_signs_in_to_a_seat_of_own_center(client, agent, phone):
    page = client.get("/calls/desk/")
    assert page.status_code == 200
    # only 福州's own free seat is offered (鼓楼's and 厦门's are not this agent's)
    assert list(page.context["seats"]) == [phone.seats["1001"]]

    response = client.post("/calls/desk/sign-in/", {"seat": phone.seats["1001"].pk})

    assert response.status_code == 302
    session = AgentSession.objects.get(user=agent, ended_at=None)
    assert (session.seat, session.state, session.reason) == (phone.seats["1001"], "break", "签入")
    desk = client.get("/calls/desk/").content.decode()
    assert 'data-testid="agent-state">小休<' in desk
    assert f"?topic=agent:{agent.pk}" in desk


def test_a_seat_of_another_center_does_not_exist_for_the_agent(client, agent, phone):
    response = client.post("/calls/desk/sign-in/", {"seat": phone.seats["9001"].pk})

    assert response.status_code == 404
    assert AgentSession.objects.count() == 0


def test_ready_break_with_reason_and_sign_out_are_recorded(client, agent, phone):
    client.post("/calls/desk/sign-in/", {"seat": phone.seats["1001"].pk})

    client.post("/calls/desk/state/", {"state": "ready"})
    client.post("/calls/desk/state/", {"state": "break", "reason": "用餐"})
    client.post("/calls/desk/sign-out/")

    changes = list(
        AgentStateChange.objects.filter(user=agent).order_by("id").values_list("state", "reason")
    )
    assert changes == [
        ("break", "签入"),
        ("ready", ""),
        ("break", "用餐"),
        ("signed_out", ""),
    ]


def test_a_refused_state_change_shows_why_and_changes_nothing(client, agent, phone):
    client.post("/calls/desk/sign-in/", {"seat": phone.seats["1001"].pk})

    response = client.post("/calls/desk/state/", {"state": "break", "reason": ""}, follow=True)

    assert "小休须填写原因" in response.content.decode()
    assert AgentStateChange.objects.filter(user=agent).count() == 1


def test_the_pop_shows_number_region_history_open_first_and_marks(
    client, agent, phone, post, province
):
    closed = ticket_at(province, Status.CLOSED, title="路灯不亮")
    open_ = ticket_at(province, Status.REGISTERED, title="噪音扰民", confidential=True)
    Ticket.objects.filter(pk=open_.pk).update(risk_level="high")
    agents.sign_in(user=agent, seat=phone.seats["1001"])
    call = answered(post, caller="13800000001")

    page = client.get(f"/calls/desk/pop/?call={call.pk}").content.decode()

    assert 'data-testid="pop-number">13800000001<' in page
    assert 'data-testid="mark-repeat"' in page
    assert 'data-testid="mark-risk"' in page
    assert 'data-testid="mark-confidential"' in page
    assert page.index(open_.number) < page.index(closed.number)  # open ones first
    assert f'href="/t/{open_.number}/"' in page
    # the intake form is tied to the call and knows the number
    assert f'name="call" value="{call.pk}"' in page
    assert 'name="citizen_phone" value="13800000001"' in page
    # 补充/催办 for the open ticket only
    assert page.count('name="kind" value="urge"') == 1


def test_the_desk_shows_the_current_call_after_a_reload(client, agent, phone, post):
    agents.sign_in(user=agent, seat=phone.seats["1001"])
    call = answered(post)

    page = client.get("/calls/desk/").content.decode()

    assert f'data-call="{call.pk}"' in page
    assert 'data-testid="agent-state">通话中<' in page


def test_another_agents_call_does_not_exist(client, province, phone, post):
    agents.sign_in(user=province.users["fz_callback"], seat=phone.seats["1001"])
    call = answered(post)  # taken by the callback agent at 1001
    client.force_login(province.users["fz_agent"])

    assert client.get(f"/calls/desk/pop/?call={call.pk}").status_code == 404
    assert client.get("/calls/desk/pop/?call=abc").status_code == 404


@pytest.mark.parametrize("username", ["fz_dispatcher", "fz_supervisor", "fz_housing_handler"])
@pytest.mark.parametrize(
    "path", ["/calls/desk/", "/calls/desk/state-panel/", "/calls/desk/pop/?call=1"]
)
def test_desk_pages_are_for_agents_only(client, province, username, path):
    client.force_login(province.users[username])

    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/calls/desk/sign-in/",
        "/calls/desk/state/",
        "/calls/desk/sign-out/",
        "/calls/desk/follow-up/",
    ],
)
def test_desk_actions_are_for_agents_only(client, province, phone, path):
    client.force_login(province.users["fz_dispatcher"])

    response = client.post(path, {"seat": phone.seats["1001"].pk, "state": "ready"})

    assert response.status_code == 404
    assert AgentSession.objects.count() == 0


def test_a_ticket_registered_on_the_desk_is_tied_to_the_call(client, agent, phone, post):
    agents.sign_in(user=agent, seat=phone.seats["1001"])
    call = answered(post, caller="13800000009")
    tickets_before = Ticket.objects.count()

    response = client.post(
        "/intake/",
        {
            "call": call.pk,
            "citizen_phone": "13800000009",
            "appeal_type": "consult",
            "content": "咨询社保卡补办需要哪些材料",
            "action": "register",
        },
        HTTP_HX_REQUEST="true",
    )

    # The new ticket (not looked up by phone: how a phone is stored is not this test's).
    assert Ticket.objects.count() == tickets_before + 1
    ticket = Ticket.objects.latest("pk")
    assert "已关联本次来电" in response.content.decode()
    assert list(CallTicket.objects.values_list("call", "ticket", "kind")) == [
        (call.pk, ticket.pk, "registered")
    ]
    # the form stays tied to the call for the caller's next demand
    assert f'name="call" value="{call.pk}"' in response.content.decode()


def test_a_call_out_of_scope_saves_no_ticket(client, province, phone, post):
    agents.sign_in(user=province.users["fz_callback"], seat=phone.seats["1001"])
    call = answered(post)
    client.force_login(province.users["fz_agent"])
    tickets_before = Ticket.objects.count()

    response = client.post(
        "/intake/",
        {
            "call": call.pk,
            "citizen_phone": "13800000009",
            "appeal_type": "consult",
            "content": "咨询社保卡补办需要哪些材料",
        },
    )

    assert response.status_code == 400
    assert "通话不存在或无权查看" in response.content.decode()
    assert Ticket.objects.count() == tickets_before
    assert CallTicket.objects.count() == 0


def test_one_click_urges_an_open_ticket_on_the_call(client, agent, phone, post, province):
    ticket = ticket_at(province, Status.REGISTERED, title="噪音扰民")
    agents.sign_in(user=agent, seat=phone.seats["1001"])
    call = answered(post)

    response = client.post(
        "/calls/desk/follow-up/",
        {
            "call": call.pk,
            "ticket": ticket.pk,
            "ticket_number": ticket.number,
            "kind": "urge",
            "note": "市民催促尽快处理",
        },
        HTTP_HX_REQUEST="true",
    )

    assert 'data-testid="follow-up-done">已催办' in response.content.decode()
    assert list(CallTicket.objects.values_list("ticket", "kind")) == [(ticket.pk, "continued")]
    assert TicketEvent.objects.filter(ticket=ticket).order_by("-id").first().action == "urge"


def test_following_up_a_ticket_out_of_scope_changes_nothing(client, agent, phone, post, province):
    xm_ticket, _ = lifecycle.register(
        by=province.users["xm_agent"], data=demand(title="厦门的事", region="350203")
    )
    agents.sign_in(user=agent, seat=phone.seats["1001"])
    call = answered(post)
    before = TicketEvent.objects.filter(ticket=xm_ticket).count()

    response = client.post(
        "/calls/desk/follow-up/",
        {"call": call.pk, "ticket": xm_ticket.pk, "kind": "urge", "note": "催"},
        HTTP_HX_REQUEST="true",
    )

    assert "工单不存在或无权查看" in response.content.decode()
    assert TicketEvent.objects.filter(ticket=xm_ticket).count() == before
    assert CallTicket.objects.count() == 0
