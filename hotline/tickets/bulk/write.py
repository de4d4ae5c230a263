"""Feeding the database: the columns and ids, the worker processes, COPY, the index rebuild."""

import contextlib
import mmap
import time
from collections import deque

from django.db import connection

from hotline import forking
from hotline.catalog import calendar

from ..models import Assignment, Ticket, TicketEvent
from .binary import copy_events
from .generate import _Chunk, _generate, _Out
from .plan import _Plan, _Task

TICKET_COLUMNS = (
    "id",
    "number",
    "channel",
    "external_ref",
    "status",
    "citizen_name",
    "citizen_phone",
    "citizen_phone_hash",
    "anonymous",
    "confidential",
    "appeal_type",
    "category_id",
    "title",
    "content",
    "region_id",
    "address",
    "latitude",
    "longitude",
    "urgency",
    "center_id",
    "lead_unit_id",
    "registered_by_id",
    "created_at",
    "updated_at",
    "dispatched_at",
    "ack_deadline",
    "acknowledged_at",
    "handle_deadline",
    "replied_at",
    "closed_at",
    "reply",
    "resolved",
    "satisfaction",
    "extension_count",
    "reopen_count",
    "return_count",
    "is_supervised",
    "risk_level",
    "merged_into_id",
    "last_event_hash",
    "event_count",
)
EVENT_COLUMNS = (
    "ticket_id",
    "seq",
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "actor_unit_id",
    "data",
    "created_at",
    "prev_hash",
    "hash",
)
ASSIGNMENT_COLUMNS = (
    "ticket_id",
    "unit_id",
    "role",
    "parent_id",
    "is_active",
    "assigned_at",
    "acknowledged_at",
)


def reserve_ids(model, n: int) -> int:
    """The first of `n` consecutive primary keys nobody else will take."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, n],
            )
            return cursor.fetchone()[0] - n + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0] + 1


def _columns(model, skip=()):
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


def check_columns():
    for model, columns, skip in (
        (Ticket, TICKET_COLUMNS, ()),
        (TicketEvent, EVENT_COLUMNS, ("id",)),
        (Assignment, ASSIGNMENT_COLUMNS, ("id",)),
    ):
        if set(columns) != set(_columns(model, skip)):
            raise RuntimeError(f"bulk columns of {model.__name__} differ from the model")


# The state a forked worker inherits: the plan and the shared buffers, one per chunk in flight.
_PLAN: _Plan | None = None
_BUFFERS: list = []
_SIZES: tuple[int, int, int] = (0, 0, 0)
# Room per ticket in a buffer (bytes of COPY text); a chunk that needs more still works.
ROOM = (1536, 3072, 256)


def _out(plan: _Plan, slot: int) -> _Out | None:
    if plan.sqlite:
        return None
    return _Out(_BUFFERS[slot], _SIZES)


def _work(task: _Task, slot: int) -> _Chunk:
    """A worker process's job: one chunk, made without the database (see hotline.forking)."""
    return _generate(_PLAN, task, _out(_PLAN, slot))


class _Producer:
    """Chunks in order, made inline or by forked workers a few chunks ahead of the writer."""

    def __init__(self, plan: _Plan, tasks: list[_Task], workers: int):
        self.plan, self.tasks, self.workers = plan, tasks, workers
        self.pool = None
        self.waited = 0.0
        self.slots = workers + 2 if workers else 1

    def __enter__(self):
        global _PLAN, _BUFFERS, _SIZES
        _PLAN = self.plan
        if not self.plan.sqlite:
            most = max(task.size for task in self.tasks)
            _SIZES = tuple(most * room + (1 << 16) for room in ROOM)
            _BUFFERS = [mmap.mmap(-1, sum(_SIZES)) for _ in range(self.slots)]
        if self.workers:
            # Deadlines need the working-day calendar: the children get it from here.
            self.pool = forking.pool(self.workers, calendar.pin, (calendar.snapshot(),))
        return self

    def __exit__(self, exc_type, exc, tb):
        global _PLAN, _BUFFERS
        if self.pool is not None:
            if exc_type is None:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()
        for buffer in _BUFFERS:
            with contextlib.suppress(BufferError):  # still viewed from a traceback
                buffer.close()
        _PLAN, _BUFFERS = None, []

    def __iter__(self):
        """Yields each chunk once; the caller writes it before asking for the next one."""
        if self.pool is None:
            for task in self.tasks:
                started = time.perf_counter()
                chunk = _generate(self.plan, task, _out(self.plan, 0))
                self.waited += time.perf_counter() - started
                yield chunk
            return
        # Chunk k is made in buffer k % slots; it is handed out only after chunk k - slots
        # has been written, so a buffer is never overwritten before it was read.
        pending, tasks = deque(), iter(self.tasks)
        for task in tasks:
            pending.append(self.pool.apply_async(_work, (task, task.index % self.slots)))
            if len(pending) == self.slots:
                break
        while pending:
            started = time.perf_counter()
            chunk = pending.popleft().get()
            self.waited += time.perf_counter() - started
            yield chunk
            task = next(tasks, None)
            if task is not None:
                pending.append(self.pool.apply_async(_work, (task, task.index % self.slots)))


def _write(chunk: _Chunk, plan: _Plan, freeze: bool = False):
    tables = (
        (Ticket, TICKET_COLUMNS, chunk.tickets, False),
        (TicketEvent, EVENT_COLUMNS, chunk.events, plan.binary_events),
        (Assignment, ASSIGNMENT_COLUMNS, chunk.assignments, False),
    )
    with connection.cursor() as cursor:
        for model, columns, data, binary in tables:
            table, cols = model._meta.db_table, ", ".join(columns)
            # COPY FREEZE cannot write into a partitioned table (the events on PostgreSQL).
            frozen = freeze and table not in plan.partitioned
            if binary:
                copy_events(columns, data, frozen)
            elif not plan.sqlite:
                offset, length, spill = data
                if not length and not spill:
                    continue
                options = " WITH (FREEZE)" if frozen else ""
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN{options}") as copy:
                    if length:
                        # Straight from the buffer the rows were made in: no copy here.
                        buffer = _BUFFERS[chunk.index % len(_BUFFERS)]
                        with memoryview(buffer) as view, view[offset : offset + length] as rows:
                            copy.write(rows)
                    for part in spill:
                        copy.write(part)
            elif data:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", data)


class _Rebuild:
    """The secondary indexes and the constraints of the bulk tables, dropped and recreated.

    PostgreSQL (a partitioned table's are dropped and recreated on the table, so on every
    partition): everything but the primary keys and the check constraints, that is the
    indexes that back no constraint (pg_get_indexdef), the unique constraints no foreign key
    relies on and the foreign keys (pg_get_constraintdef), each recreated under its own
    name, exactly as it was; recreating a unique constraint or a foreign key checks every
    row. SQLite: the indexes created by CREATE INDEX (sqlite_master.sql); its foreign keys
    and inline unique constraints stay and check every row as it comes.
    """

    MODELS = (Ticket, TicketEvent, Assignment)

    def __init__(self, cursor, times: dict):
        self.cursor, self.times = cursor, times
        self.pg = connection.vendor == "postgresql"
        self.tables = [m._meta.db_table for m in self.MODELS]
        self.uniques, self.foreign_keys = [], []
        self.freeze = False
        if not self.pg:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN (%s, %s, %s) ORDER BY name",
                self.tables,
            )
            quote = connection.ops.quote_name
            self.indexes = [(quote(name), sql) for name, sql in cursor.fetchall()]
            return
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1",
            [self.tables],
        )
        # A partitioned table's index reads "ON ONLY": recreated so, it would cover no
        # partition; recreated on the table, it is built on every partition.
        self.indexes = [(n, d.replace(" ON ONLY ", " ON ", 1)) for n, d in cursor.fetchall()]
        cursor.execute(
            "SELECT c.contype, c.conrelid::regclass::text, quote_ident(c.conname), "
            "pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype IN ('u', 'f') AND c.conrelid = ANY(%s::regclass[]) "
            "AND NOT (c.contype = 'u' AND EXISTS (SELECT 1 FROM pg_constraint f "
            "WHERE f.contype = 'f' AND f.conindid = c.conindid)) "
            "ORDER BY 1 DESC, 2, 3",
            [self.tables],
        )
        rows = cursor.fetchall()
        self.uniques = [row[1:] for row in rows if row[0] == "u"]
        self.foreign_keys = [row[1:] for row in rows if row[0] == "f"]

    def drop(self):
        started = time.perf_counter()
        self.freeze = self.pg and self._truncate_if_empty()
        for table, name, _ in self.foreign_keys + self.uniques:
            self.cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in self.indexes:
            self.cursor.execute(f"DROP INDEX {name}")
        self.times["drop_s"] = time.perf_counter() - started

    def _truncate_if_empty(self) -> bool:
        """Truncate the tables if they and all that refer to them are empty: a no-op on the
        data that lets COPY write its rows frozen (COPY ... FREEZE), which makes every later
        pass over them cheaper, starting with the foreign key checks below."""
        tables, frontier = set(self.tables), list(self.tables)
        while frontier:
            self.cursor.execute(
                "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint "
                "WHERE contype = 'f' AND confrelid = ANY(%s::regclass[])",
                [frontier],
            )
            frontier = [t for (t,) in self.cursor.fetchall() if t not in tables]
            tables.update(frontier)
        names = ", ".join(sorted(tables))
        self.cursor.execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
        for table in sorted(tables):
            self.cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
            if self.cursor.fetchone()[0]:
                return False
        self.cursor.execute(f"TRUNCATE {names}")
        return True

    def restore(self):
        if self.pg:
            # More sort memory makes these builds slower, not faster (measured: 64MB beats
            # 128MB to 1GB with two parallel workers); fix it rather than inherit it.
            self.cursor.execute("SET LOCAL maintenance_work_mem = '64MB'")
        started = time.perf_counter()
        for table, name, definition in self.uniques:
            self.cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for _, definition in self.indexes:
            self.cursor.execute(definition)
        self.times["indexes_s"] = time.perf_counter() - started
        if not self.pg:
            return
        started = time.perf_counter()
        for table, name, definition in self.foreign_keys:
            self.cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        self.times["foreign_keys_s"] = time.perf_counter() - started
        started = time.perf_counter()
        self.cursor.execute(f"ANALYZE {', '.join(self.tables)}")
        self.times["analyze_s"] = time.perf_counter() - started


def _save_counters(counters):
    if not counters:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO tickets_numbercounter (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = "
            "CASE WHEN excluded.value > tickets_numbercounter.value "
            "THEN excluded.value ELSE tickets_numbercounter.value END",
            sorted(counters.items()),
        )
