"""The SQL figures computed on a second connection, beside the hot topics, are those of the
sequential path, and that connection is closed afterwards."""

import threading

import pytest
from django.db import connection, connections

from hotline.reports import figures as figures_module
from hotline.reports import periods, service

from .conftest import local

OCT = periods.parse("monthly", "2026-10")
NOW = local(2026, 11, 30, 9, 0)


@pytest.mark.django_db(transaction=True)  # committed: a second connection sees the tickets
def test_concurrent_figures_equal_sequential(october, settings, monkeypatch):
    region = october.p.regions["350000"]
    settings.REPORTS_CONCURRENT = False
    assert not service.concurrent_figures()
    sequential = service.build_figures(OCT, region, now=NOW)

    seen = []
    real = figures_module.compute

    def spy(*args, **kwargs):
        seen.append((threading.get_ident(), connections["default"]))  # this thread's
        return real(*args, **kwargs)

    monkeypatch.setattr(figures_module, "compute", spy)
    settings.REPORTS_CONCURRENT = True
    assert service.concurrent_figures()
    concurrent = service.build_figures(OCT, region, now=NOW)

    ((ident, own),) = seen
    assert ident != threading.get_ident() and own is not connections["default"]
    assert own.connection is None  # closed by the thread, no idle backend left behind
    assert concurrent.volume.now == sequential.volume.now > 0
    assert concurrent == sequential


def test_inside_a_transaction_the_figures_stay_sequential(october, monkeypatch):
    # The test's own transaction holds the tickets: another connection would see none.
    assert connection.in_atomic_block
    assert not service.concurrent_figures()
    threads = []
    monkeypatch.setattr(service, "ThreadPoolExecutor",
                        lambda *a, **k: threads.append(a) or pytest.fail("threaded"))  # fmt: skip

    f = service.build_figures(OCT, october.p.regions["350000"], now=NOW)

    assert f.volume.now > 0 and threads == []
