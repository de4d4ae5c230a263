"""110 → 12345: the police hand a 非警务警情 to the hotline as a standard ticket (idempotent by
their reference), and once the ticket is closed its result goes back through the outbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.exchange import delivery, police_demands
from hotline.exchange.models import PoliceDemand, Subscription
from hotline.tickets import lifecycle
from hotline.tickets.models import Channel, Satisfaction, Status, Ticket, TicketEvent

from .police_support import police_partner, signed

DEMANDS = "/api/v1/exchange/police/demands"


@pytest.fixture
def fz_police(province):
    return police_partner(province, "fz")


def demand(ref="JQ20261206001", **overrides):
    fields = {
        "police_ref": ref,
        "appeal_type": "help",
        "title": "楼道堆放杂物堵塞消防通道",
        "content": "群众报警称鼓楼区某小区楼道长期堆放杂物，非警务警情，转12345处理。",
        "citizen_name": "王五",
        "citizen_phone": "13900000003",
        "region": "350102",
        "address": "鼓楼区鼓东街道某小区5号楼",
        "police_unit": "鼓楼公安分局东街派出所",
        "reported_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
    }
    fields.update(overrides)
    return fields


def _close(province, ticket):
    """The demand's ticket along the main path to 已办结."""
    u = province.users
    ticket = lifecycle.accept(ticket=ticket, by=u["fz_agent"])
    ticket = lifecycle.dispatch(ticket=ticket, by=u["fz_dispatcher"],
                                to_unit=province.units["gl_housing"])  # fmt: skip
    ticket = lifecycle.acknowledge(ticket=ticket, by=u["gl_housing_handler"])
    ticket = lifecycle.reply(ticket=ticket, by=u["gl_housing_handler"],
                             body="已联系物业清理楼道杂物，消防通道已畅通。")  # fmt: skip
    ticket = lifecycle.approve_reply(ticket=ticket, by=u["fz_reviewer"])
    return lifecycle.callback(ticket=ticket, by=u["fz_callback"],
                              satisfaction=Satisfaction.SATISFIED, resolved=True)  # fmt: skip


def test_a_police_demand_becomes_a_standard_ticket_once(client, fz_police):
    first = signed(client, fz_police, DEMANDS, demand())
    again = signed(client, fz_police, DEMANDS, demand(title="重发的同一警情"))

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    ticket = Ticket.objects.get()
    assert ticket.status == Status.REGISTERED  # the center accepts it as any channel's demand
    assert ticket.channel == Channel.OTHER
    assert ticket.external_ref == "110:fzpolice:JQ20261206001"
    assert ticket.center.code == "fz"
    assert ticket.title == "楼道堆放杂物堵塞消防通道"
    assert list(ticket.events.values_list("action", flat=True)) == ["register"]
    d = PoliceDemand.objects.get()
    assert (d.police_unit, d.ticket_id) == ("鼓楼公安分局东街派出所", ticket.pk)


def test_two_partners_may_use_the_same_reference(client, province, fz_police):
    xm_police = police_partner(province, "xm")

    a = signed(client, fz_police, DEMANDS, demand("JQ1"))
    b = signed(client, xm_police, DEMANDS, demand("JQ1", region="350203", address="思明区"))

    assert (a.status_code, b.status_code) == (201, 201)
    assert Ticket.objects.count() == 2
    assert Ticket.objects.get(external_ref="110:xmpolice:JQ1").center.code == "xm"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"title": ""}, "title", id="empty-title"),
        pytest.param({"region": "999999"}, "region", id="unknown-region"),
        pytest.param({"region": "350203"}, "region", id="region-outside-the-center"),
        pytest.param({"citizen_phone": "call me"}, "citizen_phone", id="bad-phone"),
        pytest.param({"category": "nosuch"}, "category", id="unknown-category"),
        pytest.param({"appeal_type": "gossip"}, "appeal_type", id="unknown-appeal-type"),
        pytest.param({"reported_at": "2026-12-06T08:00:00"}, "reported_at", id="naive-time"),
        pytest.param({"police_ref": "JQ 1/2"}, "police_ref", id="ref-with-slash"),
    ],
)
def test_a_bad_demand_is_422_and_nothing_is_registered(client, fz_police, overrides, field):
    response = signed(client, fz_police, DEMANDS, demand(**overrides))

    assert response.status_code == 422, response.content
    body = response.json()
    assert field in (body["field"] or "")
    assert body["message_zh"] and body["message_en"]
    assert Ticket.objects.count() == 0
    assert PoliceDemand.objects.count() == 0


def test_the_result_goes_back_to_the_police_through_the_outbox(
    client, province, fz_police, receiver
):
    Subscription.objects.create(system=fz_police, url=receiver.url, secret="s", max_attempts=3)
    receiver.up = True
    number = signed(client, fz_police, DEMANDS, demand()).json()["number"]
    ticket = Ticket.objects.get(number=number)

    before = police_demands.send_results()
    _close(province, ticket)
    sent = police_demands.send_results()
    again = police_demands.send_results()
    delivered = delivery.run_once(timezone.now() + timedelta(seconds=1))
    read = signed(client, fz_police, f"{DEMANDS}/JQ20261206001").json()

    assert (before, sent, again) == (0, 1, 0)
    assert delivered["delivered"] == 1
    # The police get the result, not the ticket's inner steps (accept, dispatch, reply …).
    [event] = receiver.events
    assert event["topic"] == "ticket.police_result"
    assert event["data"]["police_ref"] == "JQ20261206001"
    assert event["data"]["reply"] == "已联系物业清理楼道杂物，消防通道已畅通。"
    assert event["data"]["satisfaction"] == "satisfied"
    assert event["status"] == Status.CLOSED
    assert read["final"] is True
    assert read["reply"] == "已联系物业清理楼道杂物，消防通道已畅通。"
    assert read["result_sent_at"] is not None
    assert TicketEvent.objects.filter(ticket=ticket, action="police_result").count() == 1


def test_a_reopened_and_closed_again_demand_sends_its_new_result(client, province, fz_police):
    number = signed(client, fz_police, DEMANDS, demand()).json()["number"]
    ticket = _close(province, Ticket.objects.get(number=number))
    police_demands.send_results()
    ticket = lifecycle.reopen(
        ticket=ticket, by=province.users["fz_callback"], reason="市民反映仍未清理"
    )
    ticket = lifecycle.reply(ticket=ticket, by=province.users["gl_housing_handler"],
                             body="再次清理，已安排每周巡查。")  # fmt: skip
    ticket = lifecycle.approve_reply(ticket=ticket, by=province.users["fz_reviewer"])
    lifecycle.callback(ticket=ticket, by=province.users["fz_callback"],
                       satisfaction=Satisfaction.SATISFIED, resolved=True)  # fmt: skip

    assert police_demands.send_results() == 1
    results = TicketEvent.objects.filter(ticket=ticket, action="police_result").order_by("seq")
    assert [e.data["reply"] for e in results] == [
        "已联系物业清理楼道杂物，消防通道已畅通。",
        "再次清理，已安排每周巡查。",
    ]


def test_an_invalid_demand_is_answered_too(client, province, fz_police):
    number = signed(client, fz_police, DEMANDS, demand()).json()["number"]
    lifecycle.mark_invalid(ticket=Ticket.objects.get(number=number), by=province.users["fz_agent"],
                           reason="重复报送，已由其他渠道受理")  # fmt: skip

    assert police_demands.send_results() == 1
    read = signed(client, fz_police, f"{DEMANDS}/JQ20261206001").json()
    assert (read["status"], read["final"]) == (Status.INVALID, True)
