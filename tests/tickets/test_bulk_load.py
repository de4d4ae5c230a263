"""The bulk loader behind `hotline demo --tickets N` and the benchmarks: what it writes is a
valid province's history (unique numbers within their counters, intact hash chains, the
schema as the migrations left it), in process and with forked workers and the index rebuild,
and the ordinary lifecycle carries on after it."""

import datetime as dt

import pytest
from django.db import connection

from hotline.catalog.services import load_categories
from hotline.orgs.demo import build_test_province
from hotline.orgs.models import User
from hotline.tickets import bulk, history, lifecycle
from hotline.tickets.models import Assignment, NumberCounter, Ticket, TicketEvent
from tests.conftest import ensure_catalog

from .factory import demand

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def _province():
    ensure_catalog()  # policies, calendar, and no region cached from an earlier test's database
    load_categories()
    build_test_province()


def _indexes() -> set:
    with connection.cursor() as cursor:
        tables = ("tickets_ticket", "tickets_ticketevent", "tickets_assignment")
        return {
            (t, c.get("unique"), tuple(c["columns"]))
            for t in tables
            for c in connection.introspection.get_constraints(cursor, t).values()
            if c["index"] or c["unique"] or c["foreign_key"]
        }


def _check(n: int) -> None:
    assert Ticket.objects.count() == n
    assert TicketEvent.objects.count() > n and Assignment.objects.exists()
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == n
    counters = dict(NumberCounter.objects.values_list("key", "value"))
    for number in numbers:
        assert int(number[14:]) <= counters[number[:14]]
    broken = [r for r in history.verify_all(Ticket.objects.all()) if not r.ok]
    assert broken == []
    # The lifecycle goes on where the loader stopped: a new demand gets a fresh number.
    t, _ = lifecycle.register(by=User.objects.get(username="fz_agent"), data=demand())
    assert t.number not in set(numbers)


@pytest.mark.django_db
def test_load_in_process():
    _province()
    stats = {}
    assert bulk.load(1200, seed=5, now=NOW, days=60, batch=400, workers=0, stats=stats) == 1200
    assert stats["workers"] == 0 and not stats["rebuild"]
    _check(1200)


@pytest.mark.django_db(transaction=True)
def test_load_with_workers_and_the_index_rebuild(monkeypatch):
    _province()
    monkeypatch.setattr(bulk, "PARALLEL_MIN", 100)
    monkeypatch.setattr(bulk, "REBUILD_MIN", 100)
    before = _indexes()
    stats = {}
    bulk.load(2400, seed=6, now=NOW, days=60, batch=400, workers=2, stats=stats)
    assert stats["workers"] == 2 and stats["rebuild"] and stats["chunks"] > 1
    assert _indexes() == before
    _check(2400)
