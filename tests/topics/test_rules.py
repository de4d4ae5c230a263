"""A topic's stricter limit and mandatory 督办, a citizen mark's shorter limit: applied by the
sweep once a tagged ticket is dispatched, each once, through the lifecycle and supervision."""

import datetime as dt

import pytest

from hotline.catalog.calendar import add_limit
from hotline.catalog.models import LimitUnit
from hotline.errors import InvalidInput
from hotline.supervision.models import SupervisionItem
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, Ticket
from hotline.topics import services
from hotline.topics.models import MarkKind, MarkLimit, TicketMark, TopicTicket
from hotline.topics.tasks import sweep
from tests.tickets.factory import ticket_at


@pytest.fixture
def strict_topic(province):
    return services.create_topic(
        center=province.units["fz"], by=province.users["fz_supervisor"], name="涉老专项",
        keywords=["老人"], limit_days=2, mandatory_supervision=True,
    )  # fmt: skip


def test_a_dispatched_topic_ticket_gets_the_stricter_limit_and_a_supervision_item(
    province, strict_topic
):
    # given a matching demand, dispatched (policy limit longer than 2 working days)
    t = ticket_at(province, Status.DISPATCHED, title="电梯停运老人被困", external_ref="s1")
    policy_deadline = t.handle_deadline

    # when the sweep tags it and applies the topic's rules
    result = sweep()

    # then the deadline is 2 working days from dispatch, recorded as an event, and 督办 opened
    t = Ticket.objects.get(pk=t.pk)
    assert result == {"tagged": 1, "marks_carried": 0, "limited": 1, "supervised": 1}
    assert t.handle_deadline == add_limit(t.dispatched_at, 2, LimitUnit.WORKING_DAYS)
    assert t.handle_deadline < policy_deadline
    assert t.is_supervised is True
    assert list(t.events.order_by("seq").values_list("action", flat=True))[-2:] == [
        "tighten_deadline", "supervise"]  # fmt: skip
    item = SupervisionItem.objects.get(ticket=t)
    assert (item.reason, item.target_unit.code) == ("专题「涉老专项」必督办", "gl_housing")

    # and a second sweep changes nothing
    assert sweep() == {"tagged": 0, "marks_carried": 0, "limited": 0, "supervised": 0}
    assert SupervisionItem.objects.filter(ticket=t).count() == 1


def test_a_tagged_ticket_waits_for_dispatch(province, strict_topic):
    t = ticket_at(province, Status.PENDING_DISPATCH, title="老人低保咨询", external_ref="s2")
    assert sweep() == {"tagged": 1, "marks_carried": 0, "limited": 0, "supervised": 0}
    lifecycle.dispatch(ticket=t, by=province.users["fz_dispatcher"],
                       to_unit=province.units["gl_housing"])  # fmt: skip
    assert sweep() == {"tagged": 0, "marks_carried": 0, "limited": 1, "supervised": 1}
    assert TopicTicket.objects.get(ticket=t).limit_applied is True


def test_a_marked_citizen_gets_the_centers_shorter_limit(province):
    # given 福州 sets 1 working day for the disabled, and a marked ticket dispatched
    MarkLimit.objects.create(center=province.units["fz"], kind=MarkKind.DISABLED, limit_days=1)
    t = ticket_at(province, Status.PENDING_DISPATCH, external_ref="m1")
    services.set_marks(ticket=t, by=province.users["fz_agent"], kinds=[MarkKind.DISABLED])
    t = lifecycle.dispatch(ticket=t, by=province.users["fz_dispatcher"],
                           to_unit=province.units["gl_housing"])  # fmt: skip

    # when the sweep runs
    assert sweep()["limited"] == 1

    # then the deadline is one working day from dispatch
    t = Ticket.objects.get(pk=t.pk)
    assert t.handle_deadline == add_limit(t.dispatched_at, 1, LimitUnit.WORKING_DAYS)
    assert TicketMark.objects.get(ticket=t).limit_applied is True


def test_tightening_never_moves_a_deadline_later(province):
    t = ticket_at(province, Status.DISPATCHED, external_ref="l1")
    later = t.handle_deadline + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        lifecycle.tighten_deadline(ticket=t, by=province.users["fz_supervisor"], deadline=later,
                                   reason="专题时限")  # fmt: skip
    assert exc.value.field == "deadline"
    assert Ticket.objects.get(pk=t.pk).handle_deadline == t.handle_deadline
