"""Background tasks of the ticket aggregate (django-tasks, database backend), run by
`hotline worker` from the default queue.

Each task is idempotent: the worker may run one again after a crash.
"""

from django_tasks import task

from .models import Ticket


@task()
def index_registered(ticket_ids: list[int]) -> dict:
    """The duplicate index and repeated-complaint check of tickets registered in a batch.

    `lifecycle.register_many` enqueues this in the batch's own transaction, so that a
    committed batch always has its task and a rolled-back one none. The tickets are taken in
    id order, as one-by-one registration would have met them, a hundred to a transaction; a
    ticket already indexed (a task run again) is skipped."""
    from hotline.screening import services as screening  # screening imports tickets

    tickets = Ticket.objects.filter(pk__in=ticket_ids).select_related("center", "region")
    indexed, skipped = screening.index_many(list(tickets))
    return {"tickets": len(ticket_ids), "indexed": indexed, "skipped": skipped}
