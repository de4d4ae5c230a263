"""Events to PostgreSQL in COPY's binary format, encoded by psycopg (`Copy.write_row`).

The rows come from the workers as plain values: the data as its canonical JSON text (what
its hash was computed over; jsonb stores it parsed), the time as an aware datetime.
"""

from django.db import connection
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format

from ..models import TicketEvent

# The column types the rows of events are made for (psycopg's dumpers by these names).
EVENT_TYPES = {
    "ticket_id": "bigint",
    "seq": "integer",
    "action": "character varying",
    "from_status": "character varying",
    "to_status": "character varying",
    "actor_id": "bigint",
    "actor_unit_id": "bigint",
    "data": "jsonb",
    "created_at": "timestamp with time zone",
    "prev_hash": "character varying",
    "hash": "character varying",
}


class _JsonText(Dumper):
    """jsonb in binary from JSON text already made: psycopg's own jsonb dumper would
    serialise the string again (as a JSON string)."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()  # jsonb's binary form: version 1, then the text


def copy_events(columns, rows, freeze: bool = False) -> None:
    """COPY `rows` (tuples in the order of `columns`) into the events in binary format."""
    if not rows:
        return
    table = TicketEvent._meta.db_table
    options = "FORMAT binary, FREEZE" if freeze else "FORMAT binary"
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN ({options})"
    # A cursor of its own: the dumper below takes over every str it adapts.
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        cursor.adapters.register_dumper(str, _JsonText)
        with cursor.copy(sql) as copy:
            copy.set_types([EVENT_TYPES[column] for column in columns])
            write = copy.write_row
            for row in rows:
                write(row)


def _binary_events_ok() -> bool:
    """True if tickets_ticketevent has the column types the binary rows are made for."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [TicketEvent._meta.db_table],
        )
        types = dict(cursor.fetchall())
    return all(types.get(column) == kind for column, kind in EVENT_TYPES.items())
