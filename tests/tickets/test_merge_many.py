"""并单 in a batch (`lifecycle.merge_many`): what N single merges write, in one go."""

import pytest

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.exchange.models import ConnectedSystem, OutboxMessage, SelfHandledTicket
from hotline.tickets import history, lifecycle
from hotline.tickets.models import Status, Ticket, TicketEvent

from .factory import demand, ticket_at

NOTE = "同一停水事件"
CHILD_STATUSES = [Status.REGISTERED, Status.PENDING_DISPATCH, Status.DISPATCHED, Status.IN_PROGRESS]


def family(p):
    """A parent in progress and four duplicates, one in each status a merge accepts (the
    dispatched and acknowledged ones with active assignments)."""
    parent = ticket_at(p, Status.IN_PROGRESS)
    children = [
        ticket_at(p, s, citizen_phone=f"1390000000{i}") for i, s in enumerate(CHILD_STATUSES)
    ]
    return parent, children


def written(parent, children, since):
    """What the merges wrote, with every ticket named by its place in the family (numbers
    differ between two families) and in the order it was written."""
    label = {parent.number: "parent"} | {c.number: f"child{i}" for i, c in enumerate(children)}

    def named(value):
        if isinstance(value, dict):
            return {k: named(v) for k, v in value.items()}
        return label.get(value, value)

    ids = [parent.pk, *(c.pk for c in children)]
    rows = [
        (
            label[t.number],
            t.status,
            t.merged_into_id and label[t.merged_into.number],
            t.closed_at is not None,
            t.event_count,
            sorted(t.assignments.values_list("role", "is_active")),
        )
        for t in Ticket.objects.filter(pk__in=ids).order_by("pk")
    ]
    events = [
        (label[e.ticket.number], e.seq, e.action, e.from_status, e.to_status, e.actor_id,
         e.actor_unit_id, named(e.data))
        for e in TicketEvent.objects.filter(ticket_id__in=ids, pk__gt=since[0]).order_by("pk")
    ]  # fmt: skip
    outbox = [
        (o.topic, o.event.seq, named({k: v for k, v in o.payload.items() if k != "at"}))
        for o in OutboxMessage.objects.filter(ticket_id__in=ids, pk__gt=since[1]).order_by("pk")
    ]
    return rows, events, outbox


def high_water():
    return (
        TicketEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    )


def test_a_batch_writes_the_rows_events_and_outbox_of_single_merges(province):
    by = province.users["fz_dispatcher"]
    one_parent, one_children = family(province)
    since = high_water()
    for child in one_children:
        lifecycle.merge(ticket=child, into=one_parent, by=by, note=NOTE)
    singly = written(one_parent, one_children, since)

    parent, children = family(province)
    since = high_water()
    outcomes = lifecycle.merge_many(tickets=children, into=parent, by=by, note=NOTE)
    assert [(o.ticket.pk, o.error) for o in outcomes] == [(c.pk, None) for c in children]
    batch = written(parent, children, since)

    assert batch == singly
    rows, events, outbox = batch
    assert [r[:3] for r in rows] == [("parent", Status.IN_PROGRESS, None)] + [
        (f"child{i}", Status.MERGED, "parent") for i in range(4)
    ]
    assert [(e[0], e[2]) for e in events] == [
        pair for i in range(4) for pair in ((f"child{i}", "merge"), ("parent", "absorb"))
    ]
    assert [o[0] for o in outbox] == ["ticket.merge", "ticket.absorb"] * 4
    # Every assignment of a merged ticket is ended; the parent's stays.
    assert all(not active for r in rows[1:] for _, active in r[5])
    assert rows[0][5] == [("lead", True)]


def test_the_hash_chains_of_the_parent_and_every_merged_ticket_verify(province):
    parent, children = family(province)
    lifecycle.merge_many(
        tickets=children, into=parent, by=province.users["fz_dispatcher"], note=NOTE
    )
    reports = history.verify_all(
        Ticket.objects.filter(pk__in=[parent.pk, *(c.pk for c in children)])
    )
    assert [(r.ticket_number, r.ok) for r in reports] == [
        (t.number, True) for t in sorted([parent, *children], key=lambda t: t.pk)
    ]
    parent.refresh_from_db()
    assert parent.event_count == parent.events.count() == 4 + len(children)


def snapshot(tickets):
    rows = Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk")
    return (
        [(t.status, t.event_count, t.last_event_hash, t.merged_into_id) for t in rows],
        TicketEvent.objects.filter(ticket__in=rows).count(),
        OutboxMessage.objects.filter(ticket__in=rows).count(),
    )


def test_a_dispatcher_of_another_center_is_refused_each_ticket_and_nothing_changes(province):
    parent, children = family(province)
    before = snapshot([parent, *children])
    outcomes = lifecycle.merge_many(
        tickets=children, into=parent, by=province.users["xm_dispatcher"], note=NOTE
    )
    with pytest.raises(Forbidden) as single:
        lifecycle.merge(ticket=children[0], into=parent, by=province.users["xm_dispatcher"])
    # (The two role names come in the order of a set: the text is compared, not spelled.)
    assert single.value.message_zh.startswith("只有责任中心的")
    assert [(type(o.error), o.error.message_zh) for o in outcomes] == [
        (Forbidden, single.value.message_zh)
    ] * len(children)
    assert snapshot([parent, *children]) == before


def test_a_ticket_of_another_center_in_the_batch_is_refused_alone(province):
    parent, children = family(province)
    other, _ = lifecycle.register(
        by=province.users["xm_agent"],
        data=demand(region="350203", address="思明区某小区", citizen_phone="13900000009"),
    )
    outcomes = lifecycle.merge_many(
        tickets=[children[0], other, children[1]],
        into=parent,
        by=province.users["fz_dispatcher"],
        note=NOTE,
    )
    assert [type(o.error) for o in outcomes] == [type(None), Forbidden, type(None)]
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert (statuses[children[0].pk], statuses[other.pk], statuses[children[1].pk]) == (
        Status.MERGED,
        Status.REGISTERED,
        Status.MERGED,
    )
    assert history.verify(Ticket.objects.get(pk=parent.pk)).ok


def test_a_ticket_in_a_bad_state_is_refused_alone_with_merges_error(province):
    parent, children = family(province)
    replied = ticket_at(province, Status.REPLIED, citizen_phone="13900000008")
    before = snapshot([replied])
    by = province.users["fz_dispatcher"]
    outcomes = lifecycle.merge_many(
        tickets=[children[0], replied, parent, children[0], children[1]], into=parent, by=by
    )
    errors = [o.error for o in outcomes]
    assert errors[0] is None and errors[3] is None and errors[4] is None
    assert (type(errors[1]), errors[1].message_zh) == (
        IllegalTransition,
        "工单当前状态为「待审核」，不能并单",
    )
    assert (type(errors[2]), errors[2].field) == (InvalidInput, "into")
    with pytest.raises(IllegalTransition) as single:
        lifecycle.merge(ticket=replied, into=parent, by=by)
    assert single.value.message_zh == errors[1].message_zh
    assert snapshot([replied]) == before
    # Named twice, merged once: one `merge` event, one `absorb` for it.
    assert Ticket.objects.get(pk=children[0].pk).events.filter(action="merge").count() == 1
    parent.refresh_from_db()
    assert list(parent.events.filter(action="absorb").values_list("data", flat=True)) == [
        {"merged": children[0].number},
        {"merged": children[1].number},
    ]


@pytest.mark.parametrize(
    ("case", "error", "field"),
    [("closed-parent", IllegalTransition, "into"), ("long-note", InvalidInput, "note")],
    ids=["closed-parent", "long-note"],
)
def test_a_refusal_of_the_parent_or_the_note_refuses_the_whole_batch(province, case, error, field):
    parent, children = family(province)
    if case == "closed-parent":
        parent = ticket_at(province, Status.CLOSED, citizen_phone="13900000007")
    note = "说" * 1001 if case == "long-note" else NOTE
    before = snapshot([parent, *children])
    outcomes = lifecycle.merge_many(
        tickets=children, into=parent, by=province.users["fz_dispatcher"], note=note
    )
    assert [(type(o.error), o.error.field) for o in outcomes] == [(error, field)] * len(children)
    assert snapshot([parent, *children]) == before


def self_handled(p, ticket):
    system, _ = ConnectedSystem.objects.get_or_create(
        code="fz-sub",
        defaults={
            "name": "分中心",
            "unit": p.units["fz"],
            "service_user": p.users["fz_agent"],
            "secret": "s" * 32,
        },
    )
    SelfHandledTicket.objects.create(ticket=ticket, system=system)


SELF_HANDLED_ZH = "该工单由接入系统自行办理，状态只能由该系统报送"


def test_a_self_handled_ticket_is_refused_alone_and_a_self_handled_parent_refuses_all(province):
    parent, children = family(province)
    by = province.users["fz_dispatcher"]
    self_handled(province, children[1])
    outcomes = lifecycle.merge_many(tickets=children[:2], into=parent, by=by, note=NOTE)
    assert [o.error and o.error.message_zh for o in outcomes] == [None, SELF_HANDLED_ZH]
    self_handled(province, parent)
    before = snapshot([parent, *children[2:]])
    outcomes = lifecycle.merge_many(tickets=children[2:], into=parent, by=by, note=NOTE)
    assert [o.error.message_zh for o in outcomes] == [SELF_HANDLED_ZH] * 2
    assert snapshot([parent, *children[2:]]) == before
