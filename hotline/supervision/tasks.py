"""The supervision app's background tasks (django-tasks), run by `hotline worker`.

Each returns a small JSON-able summary: the database backend stores it as the task's result.
"""

import datetime as dt
from dataclasses import asdict

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from . import services, sweep

# Finished task results and claimed slots are kept this long, for the admin's history.
KEEP = dt.timedelta(days=7)


@task()
def deadline_sweep() -> dict:
    """Yellow and red warnings with their batched notifications."""
    return asdict(sweep.sweep_deadlines())


@task()
def supervision_rules() -> dict:
    """Automatic supervision items (overdue, reopened, red risk stalled)."""
    return {"opened": services.apply_rules()}


@task()
def prune() -> dict:
    """Forget finished task results and claimed slots older than KEEP."""
    from django_tasks_db.models import DBTaskResult

    from .models import ScheduledRun

    before = timezone.now() - KEEP
    results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()
    slots, _ = ScheduledRun.objects.filter(enqueued_at__lt=before).delete()
    return {"results": results, "slots": slots}


@task()
def call(path: str):
    """Run a plain function registered as a periodic job (one that is not a task itself)."""
    result = import_string(path)()
    if hasattr(result, "__dataclass_fields__"):
        return asdict(result)
    if result is None or isinstance(result, bool | int | float | str | list | dict):
        return result
    return repr(result)
