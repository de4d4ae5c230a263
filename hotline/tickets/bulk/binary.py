"""Rows of events in PostgreSQL COPY's binary format: the encoders and their check."""

import struct

from django.db import connection

from ..history import GENESIS
from ..models import TicketEvent
from .clock import US

# COPY's binary format (https://www.postgresql.org/docs/current/sql-copy.html): a header,
# then per row the number of fields and each field as its length and its bytes (-1: NULL).
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
BINARY_TRAILER = b"\xff\xff"
BINARY_NULL = b"\xff\xff\xff\xff"
LENGTH_64 = b"\x00\x00\x00\x40"
GENESIS_BYTES = GENESIS.encode()
PG_EPOCH = 946684800 * US  # 2000-01-01 UTC: binary timestamps count from there
# The column types the binary rows of events are made for.
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
_INT4 = struct.Struct(">ii").pack
_INT8 = struct.Struct(">iq").pack
_LENGTH = struct.Struct(">i").pack
ROW_HEAD_ = struct.Struct(">hiq").pack  # field count, then the first field: a bigint


def _binary_text(value: str) -> bytes:
    data = value.encode()
    return _LENGTH(len(data)) + data


def _binary_id(value) -> bytes:
    return BINARY_NULL if value is None else _INT8(8, value)


def _binary_jsonb(value: str) -> bytes:
    data = value.encode()
    return _LENGTH(len(data) + 1) + b"\x01" + data  # jsonb's binary form: version 1, text


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
