"""Marking demands (words + classifier + region), 并单 and the one reply to every citizen."""

import pytest

from hotline.incidents import grouping, marking, matching, services, sms
from hotline.incidents.models import DeliveryStatus, IncidentTicket, ReplyDelivery, TicketGroup
from hotline.portal import services as portal
from hotline.tickets import history, lifecycle
from hotline.tickets.models import Status, Ticket
from tests.tickets.factory import demand

from .test_incidents import declare


def register(p, title, content, *, region="350102", phone="13800000001", by="fz_agent"):
    ticket, _ = lifecycle.register(
        by=p.users[by],
        data=demand(
            channel="phone", title=title, content=content, region=region, citizen_phone=phone
        ),
    )
    return ticket


def test_words_and_region_mark_a_demand(p):
    incident = declare(p)
    hit = register(p, "家里停水", "鼓楼区东街口一带从早上开始停水")
    full_width = register(p, "没水", "小区没水了，ＡＢ栋也一样")
    elsewhere = register(p, "台江停水", "台江区也停水", region="350103")
    unrelated = register(p, "噪音扰民", "楼下广场舞太吵")
    assert marking.mark_new() == 2
    marks = dict(IncidentTicket.objects.filter(incident=incident).values_list("ticket_id", "words"))
    assert marks == {hit.pk: ["停水"], full_width.pk: ["没水"]}
    assert elsewhere.pk not in marks and unrelated.pk not in marks
    # Idempotent: the next sweep starts after the last ticket checked.
    assert marking.mark_new() == 0


def test_a_demand_before_the_incident_is_not_marked(p):
    register(p, "家里停水", "上周停水过一次")
    incident = declare(p)
    assert marking.mark_incident(incident) == 0


def test_the_classifier_marks_a_demand_like_the_examples_in_the_incidents_category():
    r = matching.rule(
        keywords=["停水"],
        categories=["城乡建设"],
        examples=["家里水龙头没有水出来，什么时候恢复供水"],
        region_paths=["350000/350100/350102/"],
    )
    text = "水龙头一点水都出不来，请问何时恢复供水"
    where = "350000/350100/350102/"
    assert matching.match(r, text=text, region_path=where, label="城乡建设", confidence=0.8) == (
        matching.Match("classifier", ("城乡建设",))
    )
    # Unsure, another category, unlike the examples, or outside the regions: no match.
    assert matching.match(r, text=text, region_path=where, label="城乡建设", confidence=0.3) is None
    assert matching.match(r, text=text, region_path=where, label="交通运输", confidence=0.9) is None
    assert (
        matching.match(r, text="路灯不亮", region_path=where, label="城乡建设", confidence=0.9)
        is None
    )
    assert (
        matching.match(r, text=text, region_path="350000/350200/", label="城乡建设", confidence=0.9)
        is None
    )


def incident_tickets(p, n=3):
    incident = declare(p)
    phones = ["13800000001", "13800000002", "0591-87654321"]
    tickets = [register(p, f"停水{i}", f"家里停水第{i}天", phone=phones[i % 3]) for i in range(n)]
    marking.mark_new()
    return incident, tickets


def test_grouping_merges_a_units_tickets_into_one_parent(p):
    incident, tickets = incident_tickets(p)
    result = grouping.group_tickets(by=p.users["fz_dispatcher"], incident=incident)
    parent = tickets[0]
    assert (result.merged, result.failed) == (2, [])
    group = TicketGroup.objects.get(incident=incident)
    assert (group.parent_id, group.size) == (parent.pk, 3)
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {
        tickets[0].pk: Status.PENDING_DISPATCH,
        tickets[1].pk: Status.MERGED,
        tickets[2].pk: Status.MERGED,
    }
    assert Ticket.objects.get(pk=tickets[1].pk).events.last().action == "merge"


def test_grouping_needs_the_right_to_merge_at_the_tickets_center(p):
    incident, tickets = incident_tickets(p)
    result = grouping.group_tickets(by=p.users["fz_admin"], incident=incident)
    assert result.merged == 0
    assert [n for n, _ in result.failed] == [t.number for t in tickets[1:]]
    assert Ticket.objects.filter(status=Status.MERGED).count() == 0


def reply_through(p, parent):
    u = p.users
    t = lifecycle.dispatch(ticket=parent, by=u["fz_dispatcher"], to_unit=p.units["gl_housing"])
    t = lifecycle.acknowledge(ticket=t, by=u["gl_housing_handler"])
    t = lifecycle.reply(ticket=t, by=u["gl_housing_handler"], body="主管已修复，19时恢复供水。")
    return lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"])


def test_one_approved_reply_reaches_every_citizen_by_sms_and_on_the_portal(p, sms_file):
    incident, tickets = incident_tickets(p)
    grouping.group_tickets(by=p.users["fz_dispatcher"], incident=incident)
    assert grouping.fan_out_ready() == 0  # not replied yet: nothing sent
    reply_through(p, tickets[0])
    assert grouping.fan_out_ready() == 2
    sent = sms.FileSmsBackend(sms_file).read()
    assert [m["phone"] for m in sent] == ["13800000001", "13800000002"]
    assert sent[1]["text"] == (
        f"【12345】您反映的诉求（编号{tickets[1].number}）已有答复：主管已修复，19时恢复供水。"
    )
    statuses = dict(ReplyDelivery.objects.values_list("ticket_id", "status"))
    assert statuses == {
        tickets[0].pk: DeliveryStatus.SENT,
        tickets[1].pk: DeliveryStatus.SENT,
        tickets[2].pk: DeliveryStatus.NO_PHONE,
    }
    view = portal.public_view(Ticket.objects.get(pk=tickets[2].pk))
    assert view["reply"] == "主管已修复，19时恢复供水。"
    # Sent once: the next sweep finds nothing to send.
    assert grouping.fan_out_ready() == 0
    assert len(sms.FileSmsBackend(sms_file).read()) == 2


@pytest.mark.parametrize("username", ["xm_dispatcher", "xm_agent"])
def test_grouping_an_incident_out_of_scope_is_not_found(p, username):
    incident, _ = incident_tickets(p)
    with pytest.raises(services.NotFound):
        grouping.group_tickets(by=p.users[username], incident=incident)


def test_grouping_in_chunks_again_merges_only_what_is_new(p, monkeypatch):
    monkeypatch.setattr(grouping, "CHUNK", 2)  # five children: three batch merges
    incident, tickets = incident_tickets(p, n=6)
    by = p.users["fz_dispatcher"]
    first = grouping.group_tickets(by=by, incident=incident)
    assert (first.merged, first.failed) == (5, [])
    parent = Ticket.objects.get(pk=tickets[0].pk)
    events = parent.events.count()
    # Run again: nothing left to merge, nothing written, the same one group.
    again = grouping.group_tickets(by=by, incident=incident)
    assert (again.merged, again.failed) == (0, [])
    assert [g.pk for g in again.groups] == [g.pk for g in first.groups]
    assert parent.events.count() == events
    # A late demand of the incident joins the group that exists.
    late = register(p, "还是停水", "家里停水第三天了", phone="13800000009")
    marking.mark_new()
    third = grouping.group_tickets(by=by, incident=incident)
    assert (third.merged, [g.parent_id for g in third.groups]) == (1, [parent.pk])
    assert Ticket.objects.get(pk=late.pk).merged_into_id == parent.pk
    assert TicketGroup.objects.get(incident=incident).size == 7
    parent.refresh_from_db()
    assert history.verify(parent).ok
    assert list(parent.events.values_list("action", flat=True))[-6:] == ["absorb"] * 6
