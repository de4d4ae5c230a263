"""`hotline worker` on django-tasks: periodic jobs enqueued once per slot, any queued task run."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from hotline.supervision import schedule
from hotline.supervision.models import ScheduledRun, Warning
from hotline.tickets.models import Status

from .conftest import local

SWEEP = schedule.Periodic("deadline_sweep", "hotline.supervision.tasks.deadline_sweep", 60)
RULES = schedule.Periodic("supervision_rules", "hotline.supervision.tasks.supervision_rules", 300)
NOON = local(2025, 10, 13, 12, 0, 5)
RAN = []
pytestmark = pytest.mark.django_db


@task()
def remember(word: str) -> str:
    """A task of another app: the worker runs whatever lands in the default queue."""
    RAN.append(word)
    return word.upper()


@task()
def explode() -> None:
    raise RuntimeError("boom")


def plain_job():
    return {"plain": True}


def queued(path=None):
    qs = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    return qs.filter(task_path=path) if path else qs


def test_one_enqueue_per_job_per_slot():
    first = schedule.tick(now=NOON, jobs=[SWEEP, RULES])
    same_slot = schedule.tick(now=NOON.replace(second=50), jobs=[SWEEP, RULES])

    assert first == ["deadline_sweep", "supervision_rules"]
    assert same_slot == []
    assert queued().count() == 2
    assert ScheduledRun.objects.filter(job="deadline_sweep").count() == 1


def test_a_waiting_run_is_not_queued_again():
    schedule.tick(now=NOON, jobs=[SWEEP])

    # The next minute's slot comes while the first run still waits for a worker.
    later = schedule.tick(now=NOON.replace(minute=1), jobs=[SWEEP])

    assert later == []
    assert queued("hotline.supervision.tasks.deadline_sweep").count() == 1
    assert ScheduledRun.objects.filter(job="deadline_sweep").count() == 2


def test_optional_job_without_code_is_skipped_and_plain_functions_are_wrapped():
    missing = schedule.Periodic("detect", "hotline.nowhere.warnings.detect", 60, optional=True)
    plain = schedule.Periodic("plain", "tests.supervision.test_schedule.plain_job", 60)

    assert schedule.tick(now=NOON, jobs=[missing, plain]) == ["plain"]
    (row,) = queued()
    assert row.task_path == "hotline.supervision.tasks.call"
    assert row.args_kwargs == {"args": ["tests.supervision.test_schedule.plain_job"], "kwargs": {}}
    with pytest.raises(ImportError):
        schedule.tick(now=NOON, jobs=[schedule.Periodic("x", "hotline.nowhere.x", 60)])


def test_registered_jobs_resolve():
    names = [p.name for p in schedule.PERIODIC]

    assert len(names) == len(set(names))
    assert names[:2] == ["deadline_sweep", "supervision_rules"]
    for job in schedule.PERIODIC:
        assert job.optional or schedule.resolve(job) is not None


def test_worker_runs_any_queued_task_and_survives_a_failing_one():
    RAN.clear()
    explode.enqueue()
    remember.enqueue("电梯")
    out, err = io.StringIO(), io.StringIO()

    call_command("worker", "--once", "--no-schedule", stdout=out, stderr=err)

    assert RAN == ["电梯"]
    assert "tests.supervision.test_schedule.remember: 电梯 (" in out.getvalue()
    assert "tests.supervision.test_schedule.explode: failed: RuntimeError: boom" in err.getvalue()
    statuses = dict(DBTaskResult.objects.values_list("task_path", "status"))
    assert statuses == {
        "tests.supervision.test_schedule.explode": "FAILED",
        "tests.supervision.test_schedule.remember": "SUCCESSFUL",
    }
    assert DBTaskResult.objects.get(status="SUCCESSFUL").return_value == "电梯"


def test_plain_function_job_runs_through_the_worker():
    plain = schedule.Periodic("plain", "tests.supervision.test_schedule.plain_job", 60)
    schedule.tick(now=NOON, jobs=[plain])

    call_command("worker", "--once", "--no-schedule", stdout=io.StringIO())

    assert DBTaskResult.objects.get().return_value == {"plain": True}


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_in_the_same_slot_enqueue_once():
    barrier = threading.Barrier(2)
    results, errors = [], []

    def scheduler():
        try:
            barrier.wait()
            results.append(schedule.tick(now=NOON, jobs=[SWEEP, RULES]))
        except Exception as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    assert errors == []
    assert sorted(len(r) for r in results) in ([0, 2], [1, 1])
    assert sum(len(r) for r in results) == 2
    assert queued("hotline.supervision.tasks.deadline_sweep").count() == 1
    assert queued("hotline.supervision.tasks.supervision_rules").count() == 1


def test_queued_sweep_warns_through_the_worker(make):
    t = make(Status.IN_PROGRESS, local(2025, 9, 30, 10, 0))
    schedule.tick(jobs=[SWEEP])

    call_command("worker", "--once", "--no-schedule", stdout=io.StringIO())
    call_command("worker", "--once", stdout=io.StringIO())  # forced: runs, warns nothing new

    assert Warning.objects.filter(ticket=t).count() == 1
    sweeps = DBTaskResult.objects.filter(task_path="hotline.supervision.tasks.deadline_sweep")
    assert sorted(r["red"] for r in sweeps.values_list("return_value", flat=True)) == [0, 1]
