"""Rule 2 through HTTP: who sees which ticket; outside the scope a ticket does not exist (404)."""

import pytest

from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from tests.tickets.factory import demand, ticket_at

from .helpers import (
    ACTION_IDS,
    ACTIONS,
    assert_error,
    body_for,
    numbers,
    post,
    snapshot,
    ticket_in,
    url,
    xm_ticket,
)

pytestmark = pytest.mark.django_db


# ---- a county unit never sees another county's tickets -------------------------------------


def test_county_handler_does_not_find_another_countys_ticket_in_the_list(client, province):
    # given a 鼓楼区 ticket handled by 鼓楼区住建局 and a 台江区 ticket handled by 台江区住建局
    gulou = ticket_at(province, Status.IN_PROGRESS)
    taijiang = ticket_at(province, Status.IN_PROGRESS, lead="tj_housing", region="350103")
    client.force_login(province.users["tj_housing_handler"])

    # when the 台江区 handler lists its tickets, unfiltered and searching the 鼓楼 number
    everything = client.get(url("/tickets"))
    by_number = client.get(url("/tickets"), {"q": gulou.number})

    # then only its own county's ticket is there
    assert numbers(everything) == [taijiang.number]
    assert len(everything.json()["items"]) == 1
    assert numbers(by_number) == []


@pytest.mark.parametrize("suffix", ["", "/chain"], ids=["detail", "chain"])
def test_county_handler_gets_404_reading_another_countys_ticket(client, province, suffix):
    # given a 鼓楼区 ticket in progress at 鼓楼区住建局
    t = ticket_at(province, Status.IN_PROGRESS)
    client.force_login(province.users["tj_housing_handler"])

    # when the 台江区 handler reads it
    response = client.get(url(f"/tickets/{t.number}{suffix}"))

    # then it does not exist for them
    assert_error(response, 404, "not_found", None)


@pytest.mark.parametrize(("path", "state", "actor", "body"), ACTIONS, ids=ACTION_IDS)
def test_county_handler_gets_404_on_every_transition_and_nothing_changes(
    client, province, path, state, actor, body
):
    # given a 鼓楼区 ticket in the state where the action is legal for its rightful actor
    t = ticket_in(province, state)
    body = body_for(province, body)
    before = snapshot(t)
    client.force_login(province.users["tj_housing_handler"])

    # when the 台江区 handler tries the action with a valid body
    response = post(client, f"/tickets/{t.number}/{path}", body)

    # then the ticket does not exist for them, and nothing changed
    assert_error(response, 404, "not_found", None)
    assert snapshot(t) == before


@pytest.mark.parametrize(("path", "state", "actor", "body"), ACTIONS, ids=ACTION_IDS)
def test_xiamen_center_gets_404_on_every_transition_of_a_fuzhou_ticket(
    client, province, path, state, actor, body
):
    # given a 福州 ticket in the state where the action is legal
    t = ticket_in(province, state)
    body = body_for(province, body)
    before = snapshot(t)
    client.force_login(province.users["xm_dispatcher"])

    # when the 厦门 dispatcher tries the action
    response = post(client, f"/tickets/{t.number}/{path}", body)

    # then it is 404 and nothing changed
    assert_error(response, 404, "not_found", None)
    assert snapshot(t) == before


# ---- handling units see the tickets assigned to them (or to a unit below them) -----------


def test_unit_handler_sees_only_tickets_assigned_to_its_unit(client, province):
    # given tickets: not yet dispatched, dispatched to 鼓楼区住建局, dispatched to 福州市住建局
    waiting = ticket_at(province, Status.PENDING_DISPATCH)
    ours = ticket_at(province, Status.DISPATCHED)
    theirs = ticket_at(province, Status.DISPATCHED, lead="fz_housing")
    client.force_login(province.users["gl_housing_handler"])

    # when the 鼓楼区住建局 handler lists and reads them
    listed = client.get(url("/tickets"))

    # then it sees the one assigned to its unit only
    assert numbers(listed) == [ours.number]
    assert client.get(url(f"/tickets/{ours.number}")).status_code == 200
    assert_error(client.get(url(f"/tickets/{waiting.number}")), 404, "not_found", None)
    assert_error(client.get(url(f"/tickets/{theirs.number}")), 404, "not_found", None)


def test_assisting_unit_sees_the_ticket_it_assists(client, province):
    # given a ticket dispatched to 鼓楼区住建局 with 鼓东街道 assisting
    t = ticket_at(province, Status.PENDING_DISPATCH)
    lifecycle.dispatch(
        ticket=t,
        by=province.users["fz_dispatcher"],
        to_unit=province.units["gl_housing"],
        assisting=[province.units["gl_town"]],
    )
    client.force_login(province.users["gl_town_handler"])

    # when the 鼓东街道 handler reads the list and the ticket
    listed = client.get(url("/tickets"))
    detail = client.get(url(f"/tickets/{t.number}"))

    # then it sees it, with itself as assisting unit
    assert numbers(listed) == [t.number]
    assert detail.json()["assisting_units"] == [{"code": "gl_town", "name": "鼓东街道办事处"}]


def test_lead_unit_keeps_seeing_a_ticket_it_sub_dispatched_below_it(client, province):
    # given 鼓楼区住建局 sub-dispatched its ticket to 鼓东街道
    t = ticket_at(province, Status.IN_PROGRESS)
    lifecycle.sub_dispatch(
        ticket=t, by=province.users["gl_housing_handler"], to_unit=province.units["gl_town"]
    )

    # when each of the two units reads it
    client.force_login(province.users["gl_housing_handler"])
    by_lead = client.get(url(f"/tickets/{t.number}"))
    client.force_login(province.users["gl_town_handler"])
    by_town = client.get(url(f"/tickets/{t.number}"))

    # then both see it, now led by 鼓东街道
    assert (by_lead.status_code, by_town.status_code) == (200, 200)
    assert by_town.json()["lead_unit"] == {"code": "gl_town", "name": "鼓东街道办事处"}


def test_unit_loses_the_ticket_once_its_return_is_approved(client, province):
    # given 鼓楼区住建局 asked to return a ticket and the dispatcher approved it
    t = ticket_in(province, "return_requested")
    lifecycle.approve_return(ticket=t, by=province.users["fz_dispatcher"])
    client.force_login(province.users["gl_housing_handler"])

    # when the handler reads it again
    response = client.get(url(f"/tickets/{t.number}"))

    # then it is no longer in its scope
    assert_error(response, 404, "not_found", None)
    assert numbers(client.get(url("/tickets"))) == []


# ---- centers, supervisors and analysts see their region -------------------------------------


@pytest.fixture
def three_tickets(province):
    """One ticket each of 鼓楼区 and 台江区 (福州 center) and of 思明区 (厦门 center)."""
    gulou, _ = lifecycle.register(by=province.users["fz_agent"], data=demand())
    taijiang, _ = lifecycle.register(by=province.users["fz_agent"], data=demand(region="350103"))
    siming = xm_ticket(province)
    return {"gulou": gulou, "taijiang": taijiang, "siming": siming}


SEEN_BY = [
    ("fz_agent", ["gulou", "taijiang"]),
    ("fz_dispatcher", ["gulou", "taijiang"]),
    ("fz_reviewer", ["gulou", "taijiang"]),
    ("fz_supervisor", ["gulou", "taijiang"]),
    ("fz_analyst", ["gulou", "taijiang"]),
    ("gl_dispatcher", ["gulou"]),
    ("xm_dispatcher", ["siming"]),
    ("xm_agent", ["siming"]),
    ("prov_dispatcher", ["gulou", "taijiang", "siming"]),
    ("prov_supervisor", ["gulou", "taijiang", "siming"]),
    ("admin", ["gulou", "taijiang", "siming"]),
    ("gl_housing_handler", []),
    ("tj_housing_handler", []),
]


@pytest.mark.parametrize(("username", "expected"), SEEN_BY, ids=[u for u, _ in SEEN_BY])
def test_each_role_lists_the_tickets_of_its_region(
    client, province, three_tickets, username, expected
):
    # given tickets of 鼓楼区, 台江区 and 思明区
    client.force_login(province.users[username])

    # when the user lists the tickets
    listed = client.get(url("/tickets"))

    # then exactly the tickets of its region are there
    assert sorted(numbers(listed)) == sorted(three_tickets[k].number for k in expected)


@pytest.mark.parametrize(("username", "expected"), SEEN_BY, ids=[u for u, _ in SEEN_BY])
def test_each_role_reads_its_regions_tickets_and_gets_404_on_the_others(
    client, province, three_tickets, username, expected
):
    # given tickets of 鼓楼区, 台江区 and 思明区
    client.force_login(province.users[username])

    for key, t in three_tickets.items():
        # when the user reads each ticket and its chain
        detail = client.get(url(f"/tickets/{t.number}"))
        chain = client.get(url(f"/tickets/{t.number}/chain"))

        # then those of its region answer, the others do not exist
        if key in expected:
            assert detail.status_code == 200, key
            assert detail.json()["number"] == t.number
            assert chain.json() == {"number": t.number, "ok": True, "problem": "", "seq": None}
        else:
            assert_error(detail, 404, "not_found", None)
            assert_error(chain, 404, "not_found", None)


def test_xiamen_center_does_not_find_a_fuzhou_ticket_by_its_number(client, province):
    # given a 福州 ticket
    t = ticket_at(province, Status.DISPATCHED)
    client.force_login(province.users["xm_dispatcher"])

    # when the 厦门 dispatcher searches for its number
    response = client.get(url("/tickets"), {"q": t.number})

    # then nothing is found
    assert numbers(response) == []


def test_read_only_roles_in_scope_are_refused_with_403_not_404(client, province):
    # given a registered 福州 ticket the analyst can see
    t = ticket_in(province, "registered")
    before = snapshot(t)
    client.force_login(province.users["fz_analyst"])

    # when the analyst tries to accept it
    response = post(client, f"/tickets/{t.number}/accept", {"note": ""})

    # then it is forbidden (the ticket exists for them) and nothing changed
    assert_error(response, 403, "forbidden", None)
    assert snapshot(t) == before


# ---- anonymous callers ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/chain"], ids=["detail", "chain"])
def test_anonymous_reading_a_ticket_gets_401(client, province, suffix):
    t = ticket_at(province, Status.REGISTERED)

    response = client.get(url(f"/tickets/{t.number}{suffix}"))

    assert_error(response, 401, "not_authenticated", None)


def test_anonymous_listing_gets_401(client, province):
    ticket_at(province, Status.REGISTERED)

    response = client.get(url("/tickets"))

    assert_error(response, 401, "not_authenticated", None)


@pytest.mark.parametrize(("path", "state", "actor", "body"), ACTIONS, ids=ACTION_IDS)
def test_anonymous_transition_gets_401_and_changes_nothing(
    client, province, path, state, actor, body
):
    t = ticket_in(province, state)
    body = body_for(province, body)
    before = snapshot(t)

    response = post(client, f"/tickets/{t.number}/{path}", body)

    assert_error(response, 401, "not_authenticated", None)
    assert snapshot(t) == before


def test_anonymous_register_gets_401_and_registers_nothing(client, province):
    before = snapshot()

    response = post(
        client,
        "/tickets",
        {"channel": "web", "appeal_type": "consult", "title": "问路", "content": "怎么去市政府"},
    )

    assert_error(response, 401, "not_authenticated", None)
    assert snapshot() == before


# ---- confidential citizens ------------------------------------------------------------------


@pytest.fixture
def confidential(province):
    """A confidential complaint in progress at 鼓楼区住建局."""
    return ticket_at(
        province,
        Status.IN_PROGRESS,
        confidential=True,
        citizen_name="李四",
        citizen_phone="13912345678",
    )


CITIZEN_SEEN_BY = [
    ("gl_housing_handler", "*", "139****5678"),
    # Everyone sees masked values (the full ones are a logged action: tests/audit); the
    # center's people see the name's first character, the unit not even that.
    ("fz_agent", "李*", "139****5678"),
    ("fz_dispatcher", "李*", "139****5678"),
    ("fz_supervisor", "李*", "139****5678"),
    ("prov_dispatcher", "李*", "139****5678"),
    ("admin", "李*", "139****5678"),
]


@pytest.mark.parametrize(
    ("username", "name", "phone"), CITIZEN_SEEN_BY, ids=[u for u, _, _ in CITIZEN_SEEN_BY]
)
def test_confidential_citizen_is_masked_for_the_unit_and_shown_to_the_center(
    client, province, confidential, username, name, phone
):
    client.force_login(province.users[username])

    detail = client.get(url(f"/tickets/{confidential.number}")).json()
    (item,) = client.get(url("/tickets")).json()["items"]

    assert (detail["citizen_name"], detail["citizen_phone"]) == (name, phone)
    assert (item["citizen_name"], item["citizen_phone"]) == (name, phone)
    assert detail["confidential"] is True


def test_citizen_of_an_ordinary_ticket_is_shown_masked_to_the_unit(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    client.force_login(province.users["gl_housing_handler"])

    detail = client.get(url(f"/tickets/{t.number}")).json()

    assert (detail["citizen_name"], detail["citizen_phone"]) == ("张*", "138****0001")


def test_confidential_phone_of_a_merged_duplicate_is_not_leaked_to_the_unit(client, province):
    # given a confidential duplicate merged into a ticket in progress at 鼓楼区住建局
    duplicate, _ = lifecycle.register(
        by=province.users["fz_agent"],
        data=demand(confidential=True, citizen_phone="13912345678"),
    )
    target = ticket_at(province, Status.IN_PROGRESS)
    lifecycle.merge(ticket=duplicate, into=target, by=province.users["fz_dispatcher"])
    client.force_login(province.users["gl_housing_handler"])

    # when the handler reads the target ticket
    body = client.get(url(f"/tickets/{target.number}")).content.decode()

    # then the confidential phone number appears nowhere in it
    assert "13912345678" not in body
