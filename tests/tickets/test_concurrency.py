"""Real concurrent connections: the same code on SQLite (WAL, IMMEDIATE) and on PostgreSQL."""

import threading

import pytest
from django.db import connection

from hotline.errors import IllegalTransition
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, Ticket, TicketEvent

from .factory import demand, ticket_at

pytestmark = pytest.mark.django_db(transaction=True)


def _run_together(workers):
    """Start every worker at the same moment, each on its own database connection."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(i, work):
        try:
            barrier.wait()
            results[i] = work()
        except Exception as exc:  # the test inspects what each worker got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_eight_clients_registering_at_once_get_no_error_and_distinct_numbers(province):
    agent = province.users["fz_agent"]

    def client():
        return [lifecycle.register(by=agent, data=demand())[0].number for _ in range(10)]

    results = _run_together([client] * 8)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = [n for r in results for n in r]
    assert len(numbers) == 80
    assert len(set(numbers)) == 80
    assert Ticket.objects.count() == 80


def test_two_dispatchers_at_once_exactly_one_wins(province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    fz = province.users["fz_dispatcher"]

    def send(unit_key):
        return lambda: lifecycle.dispatch(ticket=t, by=fz, to_unit=province.units[unit_key])

    results = _run_together([send("gl_housing"), send("fz_housing")])
    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, IllegalTransition)]
    assert (len(winners), len(losers)) == (1, 1)
    assert losers[0].status == 409
    t.refresh_from_db()
    assert t.status == Status.DISPATCHED
    assert t.lead_unit_id == winners[0].lead_unit_id
    assert TicketEvent.objects.filter(ticket=t, action="dispatch").count() == 1


def test_reviewer_and_handler_racing_on_one_reply(province):
    t = ticket_at(province, Status.REPLIED)
    reviewer = province.users["fz_reviewer"]
    results = _run_together(
        [
            lambda: lifecycle.approve_reply(ticket=t, by=reviewer),
            lambda: lifecycle.reject_reply(ticket=t, by=reviewer, reason="答复不完整"),
        ]
    )
    assert sorted(type(r).__name__ for r in results) == ["IllegalTransition", "Ticket"]
    t.refresh_from_db()
    assert t.event_count == TicketEvent.objects.filter(ticket=t).count()
