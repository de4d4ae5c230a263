"""The write half of the historical import (imports.py): checked rows into the tables.

Each ticket is written closed with two hash-chained events — `register` at the message's time,
`close` (with the reply) at the reply's — and no outbox row: history, not news (decisions
合成数据). The number comes from the registering center's counter for the message's own day.
"""

from collections import Counter

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hotline.catalog.models import Urgency
from hotline.orgs.models import Unit
from hotline.tickets.bulk.write import EVENT_COLUMNS, TICKET_COLUMNS, check_columns, reserve_ids
from hotline.tickets.history import GENESIS, event_hash
from hotline.tickets.models import Status, Ticket, TicketEvent, stored_personal

IMPORT_REASON = "历史工单导入"


def _numbers(rows, center: Unit) -> list[str]:
    """Ticket numbers from the same counters registration uses: every day of the batch is
    bumped by its count in one statement (keys sorted, so two imports lock in one order)."""
    code6 = center.region.code6
    days = [timezone.localtime(r.values["created_at"]).strftime("%Y%m%d") for r in rows]
    counts = sorted(Counter(days).items())
    values = ", ".join(["(%s, %s)"] * len(counts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO tickets_numbercounter (key, value) VALUES {values} "  # noqa: S608
            "ON CONFLICT (key) DO UPDATE SET value = tickets_numbercounter.value + excluded.value "
            "RETURNING key, value",
            [x for day, n in counts for x in (code6 + day, n)],
        )
        after = dict(cursor.fetchall())
    last = {day: after[code6 + day] - n for day, n in counts}
    out = []
    for day in days:
        last[day] += 1
        out.append(f"{code6}{day}{last[day]:06d}")
    return out


def _rows(row, number: str, pk: int, opts, prep) -> tuple[tuple, list[tuple]]:
    """The ticket's row and its two events' rows, in the bulk loader's column order."""
    v = row.values
    created, closed = v["created_at"], v["replied_at"] or v["created_at"]
    by, unit = opts.by.pk, opts.center.pk
    source = {"source": opts.source, "external_id": v["external_id"], "row": row.row}
    steps = [
        ("register", "", Status.REGISTERED, {"channel": opts.channel, "import": source}, created),
        ("close", Status.REGISTERED, Status.CLOSED,
         {"reason": IMPORT_REASON} | ({"reply": v["reply"]} if v["reply"] else {}), closed),
    ]  # fmt: skip
    events, prev = [], GENESIS
    for seq, (action, before, after, data, at) in enumerate(steps, start=1):
        digest = event_hash(number=number, seq=seq, action=action, from_status=before,
                            to_status=after, actor_id=by, actor_unit_id=unit, data=data,
                            created_at=at, prev=prev)  # fmt: skip
        events.append({"ticket_id": pk, "seq": seq, "action": action, "from_status": before,
                       "to_status": after, "actor_id": by, "actor_unit_id": unit,
                       "data": prep["data"](data), "created_at": prep["at"](at),
                       "prev_hash": prev, "hash": digest})  # fmt: skip
        prev = digest
    # The citizen's data stored encrypted, as the model stores it (hotline/crypto.py).
    name, phone, phone_hash, address = stored_personal(v["citizen"], v["phone"], v["address"])
    ticket = {
        "id": pk, "number": number, "channel": opts.channel, "external_ref": row.ref,
        "status": Status.CLOSED, "citizen_name": name, "citizen_phone": phone,
        "citizen_phone_hash": phone_hash,
        "anonymous": False, "confidential": False, "appeal_type": v["appeal_type"],
        "category_id": v["category"].pk if v["category"] else None, "title": v["title"],
        "content": v["content"], "region_id": v["region"].pk, "address": address,
        "latitude": None, "longitude": None, "urgency": Urgency.NORMAL, "center_id": unit,
        "lead_unit_id": None, "registered_by_id": by, "created_at": prep["at"](created),
        "updated_at": prep["at"](closed), "dispatched_at": None, "ack_deadline": None,
        "acknowledged_at": None, "handle_deadline": None,
        "replied_at": prep["at"](v["replied_at"]) if v["reply"] and v["replied_at"] else None,
        "closed_at": prep["at"](closed), "reply": v["reply"], "resolved": None,
        "satisfaction": "", "extension_count": 0, "reopen_count": 0, "return_count": 0,
        "is_supervised": False, "risk_level": "", "merged_into_id": None,
        "last_event_hash": prev, "event_count": len(steps),
    }  # fmt: skip
    return (
        tuple(ticket[c] for c in TICKET_COLUMNS),
        [tuple(e[c] for c in EVENT_COLUMNS) for e in events],
    )


def _insert(cursor, model, columns, rows):
    table, names = model._meta.db_table, ", ".join(columns)
    if connection.vendor == "postgresql":
        # COPY, as the bulk loader writes: one stream instead of a statement per row.
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def write(rows, opts) -> tuple[int, int]:
    """Insert the rows not imported before; returns (created, skipped).

    Raw multi-row inserts with ids reserved up front, as the bulk loader writes (its column
    lists, checked against the models): the ORM's bulk_create costs ten times more per row.
    """
    check_columns()
    data_field = TicketEvent._meta.get_field("data")
    prep = {
        "at": connection.ops.adapt_datetimefield_value,
        "data": lambda d: data_field.get_db_prep_save(d, connection),
    }
    for attempt in (1, 2):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                known = set(
                    Ticket.objects.filter(
                        channel=opts.channel, external_ref__in=[r.ref for r in rows]
                    ).values_list("external_ref", flat=True)
                )
                fresh = [r for r in rows if r.ref not in known]
                if not fresh:
                    return 0, len(rows)
                first = reserve_ids(Ticket, len(fresh))
                numbers = _numbers(fresh, opts.center)
                tickets, events = [], []
                for i, r in enumerate(fresh):
                    t, evs = _rows(r, numbers[i], first + i, opts, prep)
                    tickets.append(t)
                    events += evs
                _insert(cursor, Ticket, TICKET_COLUMNS, tickets)
                _insert(cursor, TicketEvent, EVENT_COLUMNS, events)
            return len(fresh), len(rows) - len(fresh)
        except IntegrityError:
            if attempt == 2:  # a concurrent import of the same rows: look again, once
                raise
    raise AssertionError("unreachable")
