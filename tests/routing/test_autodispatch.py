"""Automatic dispatch: off by default; on, it dispatches through the lifecycle as the system."""

from hotline.routing import recommender, services
from hotline.routing.models import CategoryFunction, DispatchDecision
from hotline.tickets.models import Status, TicketEvent
from tests.tickets.factory import ticket_at


def test_off_by_default(routed):
    t = ticket_at(routed, Status.PENDING_DISPATCH)

    assert services.auto_dispatch_pending() == 0
    t.refresh_from_db()
    assert t.status == Status.PENDING_DISPATCH


def test_on_above_threshold_dispatches_as_the_center_system_dispatcher(routed):
    CategoryFunction.objects.filter(category_code="01").update(
        auto_dispatch=True, auto_threshold=0.5
    )
    recommender.invalidate()
    t = ticket_at(routed, Status.PENDING_DISPATCH)

    assert services.auto_dispatch_pending() == 1

    t.refresh_from_db()
    assert t.status == Status.DISPATCHED
    assert t.lead_unit.code == "gl_housing"
    event = TicketEvent.objects.filter(ticket=t, action="dispatch").get()
    assert event.actor.username == "system-dispatch-fz"
    assert event.actor.has_usable_password() is False
    d = DispatchDecision.objects.get(ticket=t)
    assert d.automatic is True
    assert d.accepted is True


def test_on_but_below_threshold_waits(routed):
    CategoryFunction.objects.filter(category_code="01").update(
        auto_dispatch=True, auto_threshold=1.01
    )
    recommender.invalidate()
    t = ticket_at(routed, Status.PENDING_DISPATCH)

    assert services.auto_dispatch_pending() == 0
    t.refresh_from_db()
    assert t.status == Status.PENDING_DISPATCH


def test_system_dispatcher_is_created_once(routed):
    a = services.system_dispatcher(routed.units["fz"])
    b = services.system_dispatcher(routed.units["fz"])

    assert a.pk == b.pk
    assert a.memberships.filter(role="dispatcher", unit=routed.units["fz"]).count() == 1
