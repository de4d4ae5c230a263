"""Batch registration (`lifecycle.register_many`): the effects of `register`, per batch."""

from django_tasks_db.models import DBTaskResult

from hotline.exchange.models import OutboxMessage
from hotline.screening.models import AlertKind, DuplicateSignature, RepeatCase, RiskAlert
from hotline.tickets import history, lifecycle
from hotline.tickets.lifecycle import batch
from hotline.tickets.models import Channel, Status, Ticket

from .factory import demand

THREAT = "拖欠工资半年，再不给钱我就从你们单位楼上跳楼。"


def sub(ref, **overrides):
    return demand(channel=Channel.SUBCENTER, external_ref=ref, **overrides)


def test_a_batch_registers_each_item_with_its_event_outbox_row_and_a_number(province):
    by = province.users["fz_agent"]

    done = lifecycle.register_many(by=by, items=[sub("R1"), sub("R2"), sub("R3")])

    assert [d.result for d in done] == ["created", "created", "created"]
    tickets = [Ticket.objects.get(pk=d.ticket.pk) for d in done]
    numbers = [t.number for t in tickets]
    assert [int(n[-6:]) for n in numbers] == [1, 2, 3]
    assert {n[:6] for n in numbers} == {"350100"}
    for t in tickets:
        assert t.status == Status.REGISTERED
        assert t.center == province.units["fz"]
        assert history.verify(t).ok
        event = t.events.get()
        assert (event.action, event.to_status, event.data) == (
            "register",
            Status.REGISTERED,
            {"channel": "subcenter"},
        )
        outbox = OutboxMessage.objects.get(event=event)
        assert (outbox.topic, outbox.payload["ticket"], outbox.payload["seq"]) == (
            "ticket.register",
            t.number,
            1,
        )


def test_numbers_continue_the_counter_register_uses(province):
    by = province.users["fz_agent"]
    single, _ = lifecycle.register(by=by, data=demand(title="先来的一张"))

    done = lifecycle.register_many(by=by, items=[sub("N1"), sub("N2")])

    seq = int(single.number[-6:])
    assert [int(d.ticket.number[-6:]) for d in done] == [seq + 1, seq + 2]


def test_a_bad_item_is_rejected_while_the_good_ones_go_in(province):
    by = province.users["fz_agent"]

    done = lifecycle.register_many(
        by=by, items=[sub("B1"), sub("B2", appeal_type="gossip"), sub("B3", title="")]
    )

    assert [d.result for d in done] == ["created", "rejected", "rejected"]
    assert (done[1].error.field, done[2].error.field) == ("appeal_type", "title")
    assert done[2].error.message_zh == "标题不能为空"
    assert list(Ticket.objects.values_list("external_ref", flat=True)) == ["B1"]


def test_a_retried_batch_creates_nothing_twice(province):
    by = province.users["fz_agent"]
    first = lifecycle.register_many(by=by, items=[sub("T1"), sub("T2")])

    again = lifecycle.register_many(by=by, items=[sub("T1"), sub("T2"), sub("T3"), sub("T3")])

    assert [d.result for d in again] == ["existing", "existing", "created", "existing"]
    assert [d.ticket.pk for d in again[:2]] == [d.ticket.pk for d in first]
    assert again[3].ticket.pk == again[2].ticket.pk
    assert Ticket.objects.count() == 3
    assert OutboxMessage.objects.count() == 3


def test_a_concurrent_delivery_of_the_same_reference_is_settled_per_item(province, monkeypatch):
    by = province.users["fz_agent"]
    lifecycle.register_many(by=by, items=[sub("C1")])
    # The other delivery committed after this one looked: the lookup did not see it.
    monkeypatch.setattr(batch, "_known", lambda keys: {})

    done = lifecycle.register_many(by=by, items=[sub("C1"), sub("C2")])

    assert [d.result for d in done] == ["existing", "created"]
    assert Ticket.objects.count() == 2
    assert all(history.verify(t).ok for t in Ticket.objects.all())


def test_a_red_demand_in_a_batch_is_critical_assessed_and_alerted(province):
    by = province.users["fz_agent"]

    done = lifecycle.register_many(by=by, items=[sub("K1"), sub("K2", content=THREAT)])

    red = Ticket.objects.get(pk=done[1].ticket.pk)
    assert (red.urgency, red.risk_level) == ("critical", "red")
    assert red.risk.level == "red"
    assert red.events.get().data["risk"] == "red"
    assert RiskAlert.objects.get(ticket=red).kind == AlertKind.RED_DEMAND
    assert Ticket.objects.get(pk=done[0].ticket.pk).risk_level == ""


def test_the_duplicate_index_runs_in_the_queued_task_and_finds_repeats(province):
    by = province.users["fz_agent"]
    # The same caller with the same demand three times: one-by-one registration opens a
    # repeat case on the third; the batch must come to the same once its task has run.
    done = lifecycle.register_many(by=by, items=[sub(f"D{i}") for i in range(3)])

    queued = DBTaskResult.objects.get()
    assert queued.task_path == "hotline.tickets.tasks.index_registered"
    assert queued.args_kwargs["kwargs"]["ticket_ids"] == [d.ticket.pk for d in done]
    assert not DuplicateSignature.objects.exists()
    assert not RepeatCase.objects.exists()

    # What the worker does with it (the worker itself closes the test's connection).
    result = queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])

    assert result == {"tickets": 3, "indexed": 3, "skipped": 0}
    assert DuplicateSignature.objects.count() == 3
    case = RepeatCase.objects.get()
    assert case.first_ticket_id == done[0].ticket.pk


def test_the_index_task_run_twice_indexes_each_ticket_once(province):
    from hotline.tickets.tasks import index_registered

    done = lifecycle.register_many(by=province.users["fz_agent"], items=[sub("I1"), sub("I2")])
    ids = [d.ticket.pk for d in done]

    index_registered.call(ticket_ids=ids)
    again = index_registered.call(ticket_ids=ids)

    assert again == {"tickets": 2, "indexed": 0, "skipped": 2}
    assert DuplicateSignature.objects.count() == 2


def test_a_batch_of_only_bad_items_writes_nothing(province):
    done = lifecycle.register_many(
        by=province.users["fz_agent"], items=[sub("X1", citizen_phone="call me")]
    )

    assert done[0].error.field == "citizen_phone"
    assert not Ticket.objects.exists()
    assert not DBTaskResult.objects.exists()
