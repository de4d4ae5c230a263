"""The scorecards' narrow copy of the tickets follows every lifecycle change."""

from hotline.evaluation import facts, scorecards
from hotline.evaluation.models import FactWatermark, TicketFact
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, TicketEvent

from .conftest import local
from .test_scorecards import HOUR, T0


def test_a_change_after_the_last_refresh_is_counted(province, make, at):
    t = make(Status.DISPATCHED, T0)
    (before,) = scorecards.compute([province.units["gl_housing"]], "2025-10")

    at(T0 + HOUR, lifecycle.acknowledge, ticket=t, by=province.users["gl_housing_handler"])
    (after,) = scorecards.compute([province.units["gl_housing"]], "2025-10")

    assert (before.counts["ack_on_time"], after.counts["ack_on_time"]) == ((0, 1), (1, 1))
    assert TicketFact.objects.get(ticket=t).acknowledged_at is not None
    assert facts.refresh() == 0  # nothing new


def test_an_event_committed_late_below_the_watermark_is_not_missed(province, make, at):
    t = make(Status.DISPATCHED, T0)
    facts.refresh()
    # Another transaction took a higher event id and committed first: the watermark passed
    # the id our next event gets.
    top = TicketEvent.objects.order_by("-id").first().id
    FactWatermark.objects.update(last_event_id=top + 5)

    at(T0 + HOUR, lifecycle.acknowledge, ticket=t, by=province.users["gl_housing_handler"])
    facts.refresh()

    assert TicketFact.objects.get(ticket=t).acknowledged_at == local(2025, 10, 13, 10, 30)
