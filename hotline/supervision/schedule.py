"""Periodic jobs: the one place where a job is registered to run every so often.

`hotline worker` calls `tick()` about every ten seconds. For each job of PERIODIC whose current
time slot (seconds since the epoch // period) has not been claimed yet, it inserts a
`ScheduledRun(job, slot)` row and enqueues the task in the same transaction; the unique key
makes the insert fail for every other worker, so a job is enqueued once per slot however many
workers run. The queued task is then run by whichever worker claims it first (the database
backend's `SELECT … FOR UPDATE SKIP LOCKED`).

Missed slots are not replayed: every job works by state (all that is due and not done yet), so
the first run after downtime catches up with everything. A job whose previous run is still
waiting in the queue is not queued again, so a busy or stopped worker does not pile them up.

To add a job: write a `@task()` (or a plain function taking no arguments) and declare a
`Periodic` for it next to the domain it serves: an installed app's `jobs.py` with a list
`JOBS` (hotline/calls/jobs.py). Supervision sits below most apps and must not import them, so
it does not name them either: `declared()` asks Django's app registry which installed apps
have a `jobs` module (as the admin finds `admin` modules). The list below keeps this app's own
jobs and the older entries by dotted path (`optional=True` skips one quietly while its module
does not exist); docs/decisions.md explains the choice.
"""

import logging
from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string, module_has_submodule
from django_tasks.base import Task, TaskResultStatus

from .models import ScheduledRun

log = logging.getLogger("hotline.worker")


@dataclass(frozen=True)
class Periodic:
    name: str
    target: str  # dotted path of a task, or of a function without arguments
    every: int  # seconds
    optional: bool = False


PERIODIC = [
    Periodic("deadline_sweep", "hotline.supervision.tasks.deadline_sweep", every=60),
    Periodic("supervision_rules", "hotline.supervision.tasks.supervision_rules", every=300),
    Periodic("prune_task_results", "hotline.supervision.tasks.prune", every=86_400),
    # Web Push of tickets arriving in a unit's inbox (does nothing while push is off).
    Periodic("inbox_push", "hotline.supervision.webpush.arrivals", every=15),
    # The ticket history's monthly partitions (PostgreSQL): made ahead, archived past the
    # retention. Named here by path: tickets sits below supervision and cannot import Periodic.
    Periodic("event_partitions", "hotline.tickets.partitions.maintain", every=3600),
    # Keeps the scorecards' narrow copy of the tickets current (they refresh it too).
    Periodic("scorecard_facts", "hotline.evaluation.facts.refresh", every=60),
    # Early warnings of the analytics app (spikes, concentrations, emerging topics).
    Periodic("analytics_warnings", "hotline.analytics.warnings.detect", every=900, optional=True),
    # Last week's quality sample of every center with a weekly plan (drawn once per week).
    # Incidents: mark new demands, send group replies, escalate urgent reports in time (the
    # one-minute promise of 紧急信息 is kept by this period plus the worker's tick).
    Periodic("incidents_sweep", "hotline.incidents.tasks.sweep", every=15, optional=True),
    Periodic(
        "quality_weekly_sample", "hotline.quality.tasks.weekly_samples", every=3600, optional=True
    ),
]


def declared() -> list[Periodic]:
    """PERIODIC and the `JOBS` of every installed app's `jobs` module; a name twice is an error."""
    jobs = list(PERIODIC)
    for app in apps.get_app_configs():
        # The product's own apps only: a third-party app's `jobs` module is none of ours.
        if app.name.startswith("hotline.") and module_has_submodule(app.module, "jobs"):
            jobs.extend(import_module(f"{app.name}.jobs").JOBS)
    names = [j.name for j in jobs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"periodic job declared twice: {', '.join(twice)}")
    return jobs


def resolve(job: Periodic) -> tuple[Task, tuple] | None:
    """The task to enqueue and its arguments; None for an optional job whose code is absent."""
    try:
        target = import_string(job.target)
    except ImportError:
        if job.optional:
            return None
        raise
    if isinstance(target, Task):
        return target, ()
    from .tasks import call

    return call, (job.target,)


def _waiting(task: Task, args: tuple) -> bool:
    from django_tasks_db.models import DBTaskResult

    qs = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
    if args:
        qs = qs.filter(args_kwargs={"args": list(args), "kwargs": {}})
    return qs.exists()


def tick(*, now=None, jobs=None, force=False) -> list[str]:
    """Enqueue every due job of this slot that nobody enqueued yet; returns their names.

    `force` (`hotline worker --once`, cron, an operator after an outage) enqueues every job now,
    slot or not, unless its previous run is still waiting in the queue.
    """
    now = now or timezone.now()
    enqueued = []
    for job in declared() if jobs is None else jobs:
        resolved = resolve(job)
        if resolved is None:
            continue
        task, args = resolved
        slot = int(now.timestamp()) // job.every
        if not force and ScheduledRun.objects.filter(job=job.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                if not force:
                    ScheduledRun.objects.create(job=job.name, slot=slot, enqueued_at=now)
                if _waiting(task, args):
                    log.info("%s: previous run still queued, slot %s skipped", job.name, slot)
                    continue
                task.enqueue(*args)
        except IntegrityError:  # another worker claimed this slot first
            continue
        enqueued.append(job.name)
    return enqueued
