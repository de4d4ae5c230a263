"""The ticket history (tickets_ticketevent) partitioned by local month on PostgreSQL.

Hundreds of millions of events a year: one partition per month keeps each month's indexes
small and lets the oldest months leave the table (detached and archived, see
hotline/tickets/partitions.py and docs/ha.md) without a DELETE of millions of rows.

What changes on PostgreSQL, and why (SQLite keeps the plain table):

* PARTITION BY RANGE (created_at), a partition per month from the oldest row's month to
  three months ahead, and a DEFAULT partition for anything outside them.
* A partitioned table's primary key and unique constraints must contain the partition key:
  the key is (id, created_at) and uniq_event_seq is (ticket_id, seq, created_at). The ids
  still come from one sequence, so id alone stays unique in fact, and Django keeps using it
  as the primary key (a CompositePrimaryKey would stop the outbox's foreign key to the event).
  Two events with one seq cannot happen: every append holds the ticket's row lock and takes
  the next seq from the ticket, and `hotline check-chain` would report it.
* PostgreSQL 15 has no identity column on a partitioned table: id takes its default from a
  sequence owned by the column (pg_get_serial_sequence finds it, as before), continuing where
  the identity stopped.
* The outbox's foreign key to the event cannot exist any more (it would need id alone to be
  unique): the outbox row and its event are written by the same function in one
  transaction (history.save), and Django's CASCADE is done by the ORM, not by the database.
"""

import datetime as dt
import zoneinfo

from django.db import migrations

TABLE = "tickets_ticketevent"
NEW = "tickets_ticketevent_partitioned"
PLAIN = "tickets_ticketevent_plain"
AHEAD = 3
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


def _next(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _definitions(cursor, table):
    """(indexes that back no constraint, foreign keys out, foreign keys in) of `table`."""
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY 1",
        [table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY 1",
        [table],
    )
    out = cursor.fetchall()
    cursor.execute(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass ORDER BY 1, 2",
        [table],
    )
    return indexes, out, cursor.fetchall()


def _last_id(cursor, table) -> int:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(
        f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}"  # noqa: S608
    )
    last = cursor.fetchone()[0]
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
    return max(last, cursor.fetchone()[0])


def _state(schema_editor):
    """(indexes, foreign keys out, foreign keys in, last id, oldest event time) of the table."""
    with schema_editor.connection.cursor() as cursor:
        indexes, out, into = _definitions(cursor, TABLE)
        last = _last_id(cursor, TABLE)
        cursor.execute(f"SELECT MIN(created_at) FROM {TABLE}")  # noqa: S608
        return indexes, out, into, last, cursor.fetchone()[0]


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    indexes, out, into, last, oldest = _state(schema_editor)
    for table, name, _ in into:
        run(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    run(
        f"CREATE TABLE {NEW} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING STORAGE INCLUDING COMPRESSION) PARTITION BY RANGE (created_at)"
    )
    today = dt.datetime.now(ZONE).date().replace(day=1)
    month = (oldest.astimezone(ZONE).date() if oldest else today).replace(day=1)
    end = today
    for _ in range(AHEAD):
        end = _next(end)
    while month <= end:
        low = dt.datetime.combine(month, dt.time(), ZONE).isoformat()
        high = dt.datetime.combine(_next(month), dt.time(), ZONE).isoformat()
        run(
            f"CREATE TABLE {TABLE}_p{month.year:04d}_{month.month:02d} PARTITION OF {NEW} "
            f"FOR VALUES FROM ('{low}') TO ('{high}')"
        )
        month = _next(month)
    run(f"CREATE TABLE {TABLE}_default PARTITION OF {NEW} DEFAULT")
    run(f"INSERT INTO {NEW} SELECT * FROM {TABLE}")  # noqa: S608
    run(f"DROP TABLE {TABLE}")
    run(f"ALTER TABLE {NEW} RENAME TO {TABLE}")
    run(f"CREATE SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
    if last:
        run(f"SELECT setval('{TABLE}_id_seq', {int(last)})")
    run(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq')")
    run(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, created_at)")
    run(f"ALTER TABLE {TABLE} ADD CONSTRAINT uniq_event_seq UNIQUE (ticket_id, seq, created_at)")
    for definition in indexes:
        run(definition)
    for name, definition in out:
        run(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    indexes, out, _, last, _ = _state(schema_editor)
    run(
        f"CREATE TABLE {PLAIN} (LIKE {TABLE} INCLUDING CONSTRAINTS INCLUDING STORAGE "
        "INCLUDING COMPRESSION)"
    )
    run(f"INSERT INTO {PLAIN} SELECT * FROM {TABLE}")  # noqa: S608
    run(f"DROP TABLE {TABLE}")  # its partitions and its sequence with it
    run(f"ALTER TABLE {PLAIN} RENAME TO {TABLE}")
    run(
        f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY "
        f"(RESTART WITH {int(last) + 1})"
    )
    run(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id)")
    run(f"ALTER TABLE {TABLE} ADD CONSTRAINT uniq_event_seq UNIQUE (ticket_id, seq)")
    for definition in indexes:
        run(definition.replace(" ON ONLY ", " ON "))
    for name, definition in out:
        run(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
    run(
        "ALTER TABLE exchange_outboxmessage ADD CONSTRAINT "
        "exchange_outboxmessa_event_id_c6e2ef46_fk_tickets_t FOREIGN KEY (event_id) "
        f"REFERENCES {TABLE}(id) DEFERRABLE INITIALLY DEFERRED"
    )


class Migration(migrations.Migration):
    # The table is rebuilt in the migration's transaction: no reader sees it half made.
    dependencies = [
        ("tickets", "0008_personal_data_sm4"),
        ("exchange", "0002_initial"),
    ]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
