"""Forked workers never reach the parent's database connection (hotline.forking), and the
parallel bulk load holds when it runs again and again on a busy machine: the load once lost
its PostgreSQL connection ("lost synchronization with server") in 2 of 3 suite runs."""

import datetime as dt
import subprocess
import sys

import pytest
from django.db import connection, transaction

from hotline import forking
from hotline.catalog import calendar
from hotline.orgs.models import Region
from hotline.tickets import bulk, history
from hotline.tickets.models import Ticket
from tests.tickets.test_bulk_load import _province

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def _count_regions(_):
    return Region.objects.count()


def _holidays(_):
    return len(calendar._days()[0])


@pytest.mark.django_db
def test_a_child_that_reads_the_database_fails_and_the_parent_goes_on():
    _province()
    regions = Region.objects.count()
    with transaction.atomic(), forking.pool(1) as pool:
        # The parent holds an open transaction on its connection while the child runs.
        Region.objects.filter(code="350102").update(name="鼓楼区（改）")
        with pytest.raises(forking.ChildDatabaseUse):
            pool.map(_count_regions, [0])
        assert Region.objects.get(code="350102").name == "鼓楼区（改）"
        assert Region.objects.count() == regions
    assert connection.connection is not None or connection.vendor == "sqlite"
    assert Region.objects.count() == regions


@pytest.mark.django_db
def test_a_child_uses_the_calendar_pinned_before_the_fork():
    _province()
    days = calendar.snapshot()
    assert len(days[0]) > 0
    with forking.pool(2, calendar.pin, (days,)) as pool:
        assert pool.map(_holidays, [0, 1, 2, 3]) == [len(days[0])] * 4


@pytest.fixture
def busy_machine():
    """Two processes that keep both cores busy, as on the shared machine where it failed."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield
    for p in burners:
        p.kill()
        p.wait()


@pytest.mark.django_db(transaction=True)
def test_parallel_load_again_and_again_under_load(monkeypatch, busy_machine):
    _province()
    monkeypatch.setattr(bulk, "PARALLEL_MIN", 100)
    monkeypatch.setattr(bulk, "REBUILD_MIN", 100)
    # Every deadline would re-read the calendar if a worker were allowed to.
    monkeypatch.setattr(calendar, "CACHE_SECONDS", 0)
    total = 0
    for round_ in range(8):
        stats = {}
        total += bulk.load(
            400, seed=100 + round_, now=NOW, days=30, batch=100, workers=2, stats=stats
        )
        assert stats["workers"] == 2 and stats["chunks"] == 4
        # The parent's connection still answers between loads.
        assert Ticket.objects.count() == total
    assert total == 3200
    assert [r for r in history.verify_all(Ticket.objects.all()) if not r.ok] == []
