"""The sweep of `hotline worker` (declared in jobs.py): new tickets tagged, marks carried over,
stricter limits and mandatory 督办. The retroactive tagging task is in backfill.py."""

from django.db import transaction
from django.db.models import Max

from hotline.tickets.models import Ticket

from . import services
from .models import Watermark


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
