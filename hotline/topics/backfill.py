"""The retroactive tagging of a new topic as a django-tasks task (queued by services when a
topic is created, run by `hotline worker`). Kept apart from tasks.py, which calls the services,
so that services may queue it without an import cycle."""

from django_tasks import task

from . import tagging
from .models import Topic


@task()
def backfill(topic_id: int) -> dict:
    """Tag the tickets that existed when the topic was made; idempotent, resumes where it
    stopped (a second run of a finished topic scans nothing)."""
    topic = Topic.objects.select_related("center__region").filter(pk=topic_id).first()
    if topic is None:
        return {"topic": topic_id, "tagged": 0}
    return {"topic": topic_id, "tagged": tagging.backfill(topic)}
