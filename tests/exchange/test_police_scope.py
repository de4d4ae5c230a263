"""Who reaches what in the 110 linkage: a police partner only what was handed to it (404
outside, rule 2); a user's token never reaches the partner's endpoints; only the center's
staff hand over; a police service account may hold no role."""

import pytest

from hotline.errors import InvalidInput
from hotline.exchange import police
from hotline.exchange.models import ConnectedSystem, OutboxMessage, PoliceLink
from hotline.orgs.models import Membership, Role, User
from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from tests.tickets.factory import demand, ticket_at

from .conftest import item
from .police_support import as_user, hand_over, police_partner, signed

BASE = "/api/v1/exchange/police"


@pytest.fixture
def two(client, province):
    """福州 110 (A) with a hand-over, 厦门 110 (B) with one of its own, and a 福州 ticket that
    was never handed over."""
    a, b = police_partner(province, "fz"), police_partner(province, "xm")
    handed = ticket_at(province, Status.IN_PROGRESS)
    kept = ticket_at(province, Status.IN_PROGRESS, title="另一件未移交的诉求")
    # 厦门's own ticket, registered at its center by its agent
    xm_ticket, _ = lifecycle.register(
        by=province.users["xm_agent"], data=demand(region="350203", address="思明区某路")
    )
    ra = hand_over(client, province.users["fz_dispatcher"], handed, a).json()["reference"]
    rb = hand_over(client, province.users["xm_dispatcher"], xm_ticket, b).json()["reference"]
    return a, b, handed, kept, ra, rb


@pytest.mark.parametrize(
    "path",
    [
        "/handovers/{rb}",
        "/handovers/{number}",
        "/handovers/{kept}",
    ],
    ids=["other-partners-hand-over", "ticket-number-as-reference", "non-handed-ticket"],
)
def test_a_partner_reads_nothing_it_was_not_handed(client, two, path):
    a, b, handed, kept, ra, rb = two

    response = signed(client, a, BASE + path.format(rb=rb, number=handed.number, kept=kept.number))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_partner_cannot_report_on_another_partners_hand_over(client, two):
    a, b, handed, kept, ra, rb = two

    response = signed(
        client,
        a,
        f"{BASE}/handovers/{rb}/reports",
        {"report_id": "X", "kind": "acknowledged", "at": "2026-12-06T10:00:00+08:00"},
    )

    assert response.status_code == 404
    assert PoliceLink.objects.get(reference=rb).state == "sent"


def test_a_partners_list_and_feed_hold_only_its_own(client, two):
    a, b, handed, kept, ra, rb = two

    listed = signed(client, a, f"{BASE}/handovers").json()
    feed = signed(client, a, "/api/v1/exchange/events").json()["events"]

    assert [x["reference"] for x in listed] == [ra]
    # The feed: the hand-over step naming A; none of the tickets' register/accept/dispatch …
    assert [(e["topic"], e["data"]["reference"]) for e in feed] == [("ticket.police_handover", ra)]
    assert OutboxMessage.objects.count() > 10


def test_a_partner_cannot_read_another_partners_demand(client, province, two):
    a, b, *_ = two
    signed(client, b, f"{BASE}/demands", {"police_ref": "JQ9", "title": "路灯不亮",
                                          "content": "思明区某路路灯不亮", "region": "350203"})  # fmt: skip

    assert signed(client, a, f"{BASE}/demands/JQ9").status_code == 404
    assert signed(client, b, f"{BASE}/demands/JQ9").status_code == 200


@pytest.mark.parametrize("username", ["fz_housing_handler", "fz_dispatcher", "admin"])
def test_a_users_token_cannot_use_the_partners_endpoints(client, province, two, username):
    a, b, handed, kept, ra, rb = two
    user = province.users[username]

    read = as_user(client, user, f"{BASE}/handovers/{ra}")
    listed = as_user(client, user, f"{BASE}/handovers")
    sent = as_user(client, user, f"{BASE}/handovers/{ra}/reports",
                   {"report_id": "U1", "kind": "acknowledged", "at": "2026-12-06T10:00:00+08:00"})  # fmt: skip
    demanded = as_user(client, user, f"{BASE}/demands", {"police_ref": "U1", "title": "t",
                                                         "content": "c"})  # fmt: skip

    assert [r.status_code for r in (read, listed, sent, demanded)] == [401, 401, 401, 401]
    assert PoliceLink.objects.get(reference=ra).state == "sent"


def test_a_signed_in_user_cannot_use_the_partners_endpoints(client, province, two):
    a, b, handed, kept, ra, rb = two
    client.force_login(province.users["fz_dispatcher"])

    assert client.get(f"{BASE}/handovers/{ra}").status_code == 401


def test_a_sub_center_cannot_use_police_endpoints_nor_the_police_push_work_orders(
    client, two, system
):
    a, b, handed, kept, ra, rb = two

    as_subcenter = signed(client, system, f"{BASE}/handovers")
    as_police = signed(client, a, "/api/v1/exchange/tickets", {"tickets": [item("P1")]})

    assert (as_subcenter.status_code, as_police.status_code) == (403, 403)


@pytest.mark.parametrize(
    ("username", "status"),
    [
        pytest.param("fz_housing_handler", 403, id="unit-handler-sees-it-but-may-not"),
        pytest.param("fz_reviewer", 403, id="center-reviewer"),
        pytest.param("xm_dispatcher", 404, id="other-city"),
        pytest.param("fz_agent", 201, id="center-agent"),
    ],
)
def test_only_the_centers_staff_hand_over(client, province, two, username, status):
    a, b, handed, kept, ra, rb = two
    ticket = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")

    response = hand_over(client, province.users[username], ticket, a)

    assert response.status_code == status


def test_an_anonymous_caller_cannot_hand_over(client, province, two):
    a, b, handed, kept, ra, rb = two

    response = client.post(
        f"{BASE}/tickets/{kept.number}/handover",
        {"partner": a.code, "summary": "移交"},
        content_type="application/json",
    )

    assert response.status_code == 401


def test_the_board_shows_the_hand_overs_in_the_users_scope(client, province, two):
    a, b, handed, kept, ra, rb = two

    fz = as_user(client, province.users["fz_supervisor"], f"{BASE}/board").json()
    xm = as_user(client, province.users["xm_dispatcher"], f"{BASE}/board").json()
    no_role = User.objects.create(username="nobody")

    assert [x["reference"] for x in fz] == [ra]
    assert [x["reference"] for x in xm] == [rb]
    assert as_user(client, no_role, f"{BASE}/board").json() == []


def test_a_police_service_account_may_hold_no_role(province):
    user = User.objects.create(username="bot_with_role")
    Membership.objects.create(user=user, unit=province.units["fz"], role=Role.AGENT)

    with pytest.raises(InvalidInput) as refused:
        police.connect_police(code="bad", name="某公安", center=province.units["fz"],
                              service_user=user)  # fmt: skip

    assert refused.value.field == "service_user"


def test_the_admin_refuses_a_police_partner_whose_account_holds_a_role(client, province):
    client.force_login(province.users["admin"])
    with_role = province.users["fz_agent"]

    response = client.post(
        "/admin/exchange/connectedsystem/add/",
        {"code": "fzpolice2", "name": "某公安", "kind": "police", "unit": province.units["fz"].pk,
         "service_user": with_role.pk, "secret": "s" * 32, "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 200  # the form again, with the error
    assert "公安接口账号不能有任何岗位或管理权限" in response.content.decode()
    assert not ConnectedSystem.objects.filter(code="fzpolice2").exists()
