"""A narrow copy of the ticket columns the scorecards count, kept up to date incrementally.

Why: a province-month over 10,000,000 tickets made the scorecard query read the whole ticket
table (no index serves "dispatched in the month" there, and the wide rows carry titles and
texts); the copy is ~100 bytes a ticket, indexed by dispatch time, and a month of it is read in
well under the 10 s target (docs/benchmarks.md).

How it stays right: every change of a ticket appends a TicketEvent (rule 1), so `refresh()`
copies again the tickets of the events after its watermark. Event ids are taken from a
sequence but committed in any order, so each refresh starts OVERLAP ids before the watermark:
re-copying a ticket is harmless (an upsert), missing one is not. Refreshes take the watermark
row's lock, so two workers never interleave. The scorecards call `refresh()` first, so a figure
never lags behind the tickets; the worker runs it every minute too, to keep that call short.
"""

from django.db import connection, transaction

from hotline.tickets.models import Ticket, TicketEvent

from .models import FactWatermark, TicketFact

COLUMNS = [f.column for f in TicketFact._meta.concrete_fields]
OVERLAP = 50_000
CHUNK = 5_000


def _upsert_sql(where: str) -> str:
    table, tickets = TicketFact._meta.db_table, Ticket._meta.db_table
    cols = ", ".join(COLUMNS)
    source = ", ".join("id" if c == "ticket_id" else c for c in COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "ticket_id")
    return (
        f"INSERT INTO {table} ({cols}) SELECT {source} FROM {tickets} WHERE {where} "
        f"ON CONFLICT (ticket_id) DO UPDATE SET {updates}"
    )


def refresh() -> int:
    """Copy the tickets changed since the last refresh; returns the rows written."""
    with transaction.atomic():
        mark, _ = FactWatermark.objects.get_or_create(pk=1)
        mark = FactWatermark.objects.select_for_update().get(pk=1)
        top = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if top == mark.last_event_id:
            return 0
        with connection.cursor() as cursor:
            if mark.last_event_id == 0:  # the first time: every ticket, without the join
                cursor.execute(_upsert_sql("dispatched_at IS NOT NULL"))
                written = cursor.rowcount
            else:
                # The ids first, then the tickets by primary key: joined in one statement,
                # PostgreSQL hashes the events and scans every ticket (19 s at 10 M).
                changed = sorted(
                    TicketEvent.objects.filter(id__gt=max(mark.last_event_id - OVERLAP, 0),
                                               id__lte=top)
                    .values_list("ticket_id", flat=True)
                    .distinct()
                )  # fmt: skip
                written = 0
                for i in range(0, len(changed), CHUNK):
                    chunk = changed[i : i + CHUNK]
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(_upsert_sql(f"id IN ({marks})"), chunk)
                    written += cursor.rowcount
        mark.last_event_id = top
        mark.save(update_fields=["last_event_id"])
    return written
