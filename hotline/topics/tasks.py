"""Background work of the topics: the retroactive tagging of a new topic (queued when it is
created) and the sweep of `hotline worker` (registered in supervision/schedule.py)."""

from django.db import transaction
from django.db.models import Max
from django_tasks import task

from hotline.tickets.models import Ticket

from . import services, tagging
from .models import Topic, Watermark


@task()
def backfill(topic_id: int) -> dict:
    """Tag the tickets that existed when the topic was made; idempotent, resumes where it
    stopped (a second run of a finished topic scans nothing)."""
    topic = Topic.objects.select_related("center__region").filter(pk=topic_id).first()
    if topic is None:
        return {"topic": topic_id, "tagged": 0}
    return {"topic": topic_id, "tagged": tagging.backfill(topic)}


def carry_over_new() -> int:
    """Carry citizen marks over to the tickets registered since the last sweep."""
    with transaction.atomic():
        mark, _ = Watermark.objects.select_for_update().get_or_create(key="marks")
        upto = Ticket.objects.aggregate(m=Max("pk"))["m"] or 0
        carried = services.carry_over_marks(after=mark.value, upto=upto)
        mark.value = upto
        mark.save(update_fields=["value"])
    return carried


def sweep() -> dict:
    return {
        "tagged": services.tag_new_everywhere(),
        "marks_carried": carry_over_new(),
        **services.apply_rules(),
    }
