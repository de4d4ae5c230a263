"""The deadline sweep with a frozen clock: once at due soon, once at overdue, never again."""

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from hotline.catalog.calendar import to_local
from hotline.supervision.models import Notification, Warning, WarningKind, WarningLevel
from hotline.supervision.sweep import sweep_deadlines
from hotline.tickets.models import Status

from .conftest import local

# Tuesday before the 2025 National Day week (1–8 October are holidays, 11 October is worked).
BEFORE_HOLIDAY = local(2025, 9, 30, 10, 0)


def soon(deadline, start):
    """A moment inside the due-soon window (10% of the limit left)."""
    return deadline - (deadline - start) / 10


def warnings(t):
    return sorted(Warning.objects.filter(ticket=t).values_list("kind", "level"))


def test_ack_warns_yellow_then_red_once_each(make):
    t = make(Status.DISPATCHED, BEFORE_HOLIDAY)

    first = sweep_deadlines(now=soon(t.ack_deadline, t.dispatched_at))
    again = sweep_deadlines(now=soon(t.ack_deadline, t.dispatched_at))
    late = sweep_deadlines(now=t.ack_deadline + dt.timedelta(minutes=1))
    later = sweep_deadlines(now=t.ack_deadline + dt.timedelta(days=3))

    assert (first.yellow, first.red, again.yellow, again.red) == (1, 0, 0, 0)
    assert (late.yellow, late.red, later.yellow, later.red) == (0, 1, 0, 0)
    assert warnings(t) == [
        (WarningKind.ACK, WarningLevel.RED),
        (WarningKind.ACK, WarningLevel.YELLOW),
    ]


def test_on_time_ticket_does_not_warn(make):
    t = make(Status.IN_PROGRESS, BEFORE_HOLIDAY)

    result = sweep_deadlines(now=t.dispatched_at + dt.timedelta(minutes=5))

    assert (result.yellow, result.red) == (0, 0)


def test_handling_deadline_skips_the_national_day_week(make):
    t = make(Status.IN_PROGRESS, BEFORE_HOLIDAY)
    deadline_day = to_local(t.handle_deadline).date()

    during_holiday = sweep_deadlines(now=local(2025, 10, 7, 12, 0))
    overdue = sweep_deadlines(now=t.handle_deadline + dt.timedelta(seconds=1))

    assert deadline_day > dt.date(2025, 10, 8)
    assert (during_holiday.yellow, during_holiday.red) == (0, 0)
    assert (overdue.yellow, overdue.red) == (0, 1)
    assert warnings(t) == [(WarningKind.HANDLE, WarningLevel.RED)]


def test_stopped_worker_catches_up(make):
    tickets = [make(Status.IN_PROGRESS, BEFORE_HOLIDAY) for _ in range(3)]

    # Nobody swept for a month; the first sweep after warns every overdue ticket once.
    result = sweep_deadlines(now=local(2025, 11, 3, 9, 0))

    assert result.red == 3
    assert all(warnings(t) == [(WarningKind.HANDLE, WarningLevel.RED)] for t in tickets)


def test_one_batch_per_recipient(make, province):
    for _ in range(3):
        make(Status.IN_PROGRESS, BEFORE_HOLIDAY)

    sweep_deadlines(now=local(2025, 11, 3, 9, 0))

    got = dict(
        Notification.objects.values_list("recipient__username", "title").order_by("recipient")
    )
    # Lead unit 鼓楼区住建局 (handler; two_hats is a handler there too) and 福州 dispatchers.
    assert sorted(got) == ["fz_dispatcher", "gl_housing_handler", "two_hats"]
    assert got["gl_housing_handler"] == "时限预警：3 件超期，0 件临期"
    body = Notification.objects.get(recipient__username="fz_dispatcher").body
    assert body.count("超期·办理") == 3


def test_worker_command_once(make):
    make(Status.IN_PROGRESS, BEFORE_HOLIDAY)
    buf = io.StringIO()

    call_command("worker", "--once", stdout=buf)

    out = buf.getvalue()
    assert "enqueued: deadline_sweep, supervision_rules, prune_task_results" in out
    assert "failed" not in out, out
    assert "deadline_sweep: {'yellow': 0, 'red': 1, 'notifications': 3}" in out
    assert "supervision_rules: {'opened': 1}" in out  # a year overdue


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_together_warn_once(make):
    tickets = [make(Status.IN_PROGRESS, BEFORE_HOLIDAY) for _ in range(5)]
    now = local(2025, 11, 3, 9, 0)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            results.append(sweep_deadlines(now=now))
        except Exception as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    assert errors == []
    assert sorted(r.red for r in results) == [0, 5]
    assert Warning.objects.filter(ticket__in=tickets).count() == 5
    assert Notification.objects.count() == 3
