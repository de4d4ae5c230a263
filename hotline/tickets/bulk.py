"""The bulk path: load many synthetic tickets with complete, hash-chained histories, fast.

It writes what the lifecycle would have written over months (tickets, their events, their
assignments) straight into the tables, with COPY on PostgreSQL and executemany on SQLite,
for the demo and the benchmarks. Every history it writes passes `hotline check-chain`. It
writes no outbox rows: these changes happened before any subscriber existed and must not be
published as news.

How it is fast (a million tickets in under a minute on two cores, on PostgreSQL):

* Tickets are made in chunks of whole local days, oldest first. A ticket number's sequence
  runs per region and local day, so no two chunks share a counter: the chunks are made by
  forked worker processes (`workers`) while this process feeds the database, and the
  result does not depend on how many there are (same seed, same rows).
* Every constant piece of a ticket's history (an event's data as JSON, its actor, its
  action and statuses, their hashed forms) is serialised once per county and template,
  and each event's hashed form is spliced from those pieces and the event's own (see
  history.canonical_json). The first ticket of each chunk is re-hashed with
  history.event_hash, so the two ways cannot drift apart unnoticed.
* Rows are made directly in the database's input format — COPY text for tickets and
  assignments, COPY binary for events — into a buffer shared with this process, which
  hands it to COPY as it is: nothing is pickled or piped.
* A large load (`rebuild`: from REBUILD_MIN tickets, if it at least quarters the table)
  runs in one transaction that drops the secondary indexes, and on PostgreSQL also the
  unique constraints and the foreign keys, of the three tables, loads, then recreates each
  one from the database's own definition of it, under the same name, and ANALYZEs. A
  sorted index build and one join per constraint cost far less than millions of row-by-row
  updates and checks; recreating a unique constraint or a foreign key checks every row, so
  nothing goes in unchecked. The DDL is transactional, so a failure or a crash at any point
  rolls everything back, indexes and constraints included. It locks the three tables and
  the tables they reference for the whole load: meant for the demo and the benchmarks.
"""

import bisect
import contextlib
import hashlib
import json
import mmap
import multiprocessing
import os
import random
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from hotline.catalog import calendar
from hotline.catalog.models import Category, LimitUnit
from hotline.catalog.policies import policy_for
from hotline.orgs.models import Membership, Region, RegionLevel, Role, Unit, UnitKind

from . import synthetic
from .history import GENESIS, canonical_json, event_hash
from .models import Assignment, NumberCounter, Satisfaction, Status, Ticket, TicketEvent
from .synthetic import TEMPLATES

PATHS = {
    Status.REGISTERED: ["register"],
    Status.PENDING_DISPATCH: ["register", "accept"],
    Status.DISPATCHED: ["register", "accept", "dispatch"],
    Status.IN_PROGRESS: ["register", "accept", "dispatch", "acknowledge"],
    Status.RETURN_REQUESTED: ["register", "accept", "dispatch", "request_return"],
    Status.REPLIED: ["register", "accept", "dispatch", "acknowledge", "reply"],
    Status.REVIEWED: ["register", "accept", "dispatch", "acknowledge", "reply", "approve_reply"],
    Status.CLOSED: [
        "register",
        "accept",
        "dispatch",
        "acknowledge",
        "reply",
        "approve_reply",
        "callback",
    ],
    Status.INVALID: ["register", "mark_invalid"],
}
TO_STATUS = {
    "register": Status.REGISTERED,
    "accept": Status.PENDING_DISPATCH,
    "dispatch": Status.DISPATCHED,
    "acknowledge": Status.IN_PROGRESS,
    "request_return": Status.RETURN_REQUESTED,
    "reply": Status.REPLIED,
    "approve_reply": Status.REVIEWED,
    "callback": Status.CLOSED,
    "mark_invalid": Status.INVALID,
}
# Hours after registration at which each step happens (before jitter).
DELAY_HOURS = {
    "register": 0,
    "accept": 0.2,
    "mark_invalid": 0.3,
    "dispatch": 0.6,
    "acknowledge": 3,
    "request_return": 5,
    "reply": 60,
    "approve_reply": 70,
    "callback": 95,
}
RECENT_MIX = [
    (Status.REGISTERED, 4),
    (Status.PENDING_DISPATCH, 6),
    (Status.DISPATCHED, 10),
    (Status.IN_PROGRESS, 35),
    (Status.RETURN_REQUESTED, 3),
    (Status.REPLIED, 10),
    (Status.REVIEWED, 10),
    (Status.CLOSED, 20),
    (Status.INVALID, 2),
]
SATISFACTION_MIX = [
    (Satisfaction.SATISFIED, 70),
    (Satisfaction.BASICALLY, 15),
    (Satisfaction.UNSATISFIED, 7),
    (Satisfaction.UNREACHABLE, 8),
]
CHANNEL_MIX = [
    ("phone", 62),
    ("web", 14),
    ("wechat", 10),
    ("app", 6),
    ("subcenter", 5),
    ("mailbox", 2),
    ("open311", 1),
]
# Older tickets than this are all finished (closed, or a few invalid).
SETTLED_AFTER = timedelta(days=12)
# From this many tickets, a load rebuilds indexes and constraints (see above).
REBUILD_MIN = 20_000
# From this many tickets, chunks are made by worker processes.
PARALLEL_MIN = 20_000
# The texts of events, as the lifecycle writes them.
REPLY = ("经核查，", "一事已由", "现场处理，相关问题已整改完毕，感谢您的监督。")  # title, unit
# The steps whose data varies per ticket.
VARYING = {"register": 1, "reply": 2, "callback": 3}
INVALID_REASON = "重复来电，无实际诉求"
RETURN_REASON = "该事项不属于本单位职责，请改派"

TICKET_COLUMNS = (
    "id",
    "number",
    "channel",
    "external_ref",
    "status",
    "citizen_name",
    "citizen_phone",
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

US = 1_000_000  # times are handled as integer microseconds since the epoch
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // ONE_US


def _dt(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass
class County:
    region: Region
    center: Unit
    departments: dict[str, Unit]
    fallback: Unit | None
    actors: dict[str, int | None] = field(default_factory=dict)


def _contexts() -> list[County]:
    units = list(Unit.objects.filter(is_active=True).select_related("region"))
    by_region: dict[int, list[Unit]] = {}
    for u in units:
        by_region.setdefault(u.region_id, []).append(u)
    centers = {u.region_id: u for u in units if u.kind == UnitKind.CENTER}
    people: dict[tuple[int, str], int] = {}
    for m in Membership.objects.filter(is_active=True).values("unit_id", "role", "user_id"):
        people.setdefault((m["unit_id"], m["role"]), m["user_id"])
    counties = []
    for region in (
        Region.objects.filter(level=RegionLevel.COUNTY).select_related("parent").order_by("pk")
    ):
        if region.pk not in centers:
            continue
        local = by_region.get(region.pk, [])
        city = by_region.get(region.parent_id, [])
        depts = {
            u.function: u for u in city if u.kind in (UnitKind.DEPARTMENT, UnitKind.ENTERPRISE)
        }
        depts.update({u.function: u for u in local if u.kind == UnitKind.DEPARTMENT})
        fallback = next((u for u in local if u.kind == UnitKind.FALLBACK), None)
        # Tickets are held by the city center, which dispatches into the county.
        city_center = centers.get(region.parent_id, centers[region.pk])
        c = County(region, city_center, depts, fallback)
        for role in (Role.AGENT, Role.DISPATCHER, Role.REVIEWER, Role.CALLBACK):
            c.actors[role] = _nearest(people, city_center, role, centers)
        counties.append(c)
    return counties


def _nearest(people, center: Unit, role, centers) -> int | None:
    """A user with `role` at the center or the nearest center above it."""
    unit = center
    while unit is not None:
        if (unit.pk, role) in people:
            return people[(unit.pk, role)]
        unit = unit.parent if unit.parent_id else None
    return None


def _reserve_ids(model, n: int) -> int:
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


def _check_columns():
    for model, columns, skip in (
        (Ticket, TICKET_COLUMNS, ()),
        (TicketEvent, EVENT_COLUMNS, ("id",)),
        (Assignment, ASSIGNMENT_COLUMNS, ("id",)),
    ):
        if set(columns) != set(_columns(model, skip)):
            raise RuntimeError(f"bulk columns of {model.__name__} differ from the model")


# ---------------------------------------------------------------------------------------
# What every chunk needs, computed once from the database (and inherited by the workers).


class _Step(NamedTuple):
    """One event of a path, for one county and template, with its constant pieces."""

    low: float  # earliest and latest-minus-earliest time after registration, in µs
    span: float
    head: str  # the hashed form from seq up to (not including) the data
    data: str | None  # its data as canonical JSON, or None if it varies per ticket...
    kind: int  # ...and then which: 1 register, 2 reply, 3 callback
    line: str  # seq, action, from_status, to_status, actor_id, actor_unit_id as COPY text
    cols: tuple  # the same as values (SQLite)
    fields: bytes  # the same in COPY's binary format
    data_fields: bytes | None  # the data in COPY's binary format


@dataclass
class _Combo:
    """A county and a template: everything about a ticket that does not vary."""

    template: object
    category: str
    lead: str
    lead_name: str
    policies: dict  # urgency -> (ack value, ack unit, handle value, handle unit)
    paths: dict  # status -> tuple[_Step]


@dataclass
class _Plan:
    seed: int
    now: int
    sqlite: bool
    null: str | None
    clean: bool
    counties: list  # (number prefix, place, region id, center id, agent id, [_Combo per template])
    counters: dict
    first_id: int
    positions: dict  # status -> (dispatch, acknowledge, reply, closed) index in its path
    register_data: dict
    callback_data: dict
    binary_events: bool  # events go to PostgreSQL in COPY's binary format


def _json_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _is_clean(s: str) -> bool:
    """True if `s` needs no escaping, neither in JSON nor in COPY's text format."""
    return not any(ch in '"\\' or ch < " " for ch in s)


def _copy_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


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


def _plan(*, seed, now, counties, categories, counters, first_id) -> _Plan:
    sqlite = connection.vendor != "postgresql"
    null = None if sqlite else "\\N"

    def col(value):
        if value is None:
            return null
        if isinstance(value, bool):
            return "1" if value else "0"
        return value if sqlite else _copy_escape(str(value))

    def jcol(value):  # an id as it enters the hashed form
        return "null" if value is None else str(int(value))

    texts = [t.title for t in TEMPLATES] + [t.content for t in TEMPLATES]
    texts += [*REPLY, INVALID_REASON, RETURN_REASON]
    texts += synthetic.ESTATES + synthetic.ROADS + synthetic.GIVEN + [synthetic.SURNAMES]
    rows = []
    for c in counties:
        agent, dispatcher = c.actors.get(Role.AGENT), c.actors.get(Role.DISPATCHER)
        reviewer, callback = c.actors.get(Role.REVIEWER), c.actors.get(Role.CALLBACK)
        center = c.center.pk
        texts += [c.region.name, c.center.region.code[:6]]
        per_template = []
        for template in TEMPLATES:
            lead = c.departments.get(template.function) or c.fallback
            if lead is None:
                raise RuntimeError(f"{c.region.name}: no {template.function} unit, no fallback")
            texts += [lead.name, lead.code]
            category = categories.get(template.category)
            policies = {}
            for urgency in ("normal", "urgent", "critical"):
                p = policy_for(
                    appeal_type=template.appeal_type,
                    urgency=urgency,
                    category=category,
                    region=c.region,
                )
                policies[urgency] = (p.ack_value, p.ack_unit, p.handle_value, p.handle_unit)
            who = {
                "register": (agent, center, None),
                "accept": (agent, center, {"note": ""}),
                "mark_invalid": (agent, center, {"reason": INVALID_REASON}),
                "dispatch": (
                    dispatcher,
                    center,
                    {"lead": lead.code, "assisting": [], "note": ""},
                ),
                "acknowledge": (None, lead.pk, {}),
                "request_return": (None, lead.pk, {"reason": RETURN_REASON}),
                "reply": (None, lead.pk, None),
                "approve_reply": (reviewer, center, {"note": ""}),
                "callback": (callback, center, None),
            }
            paths = {}
            for status, steps in PATHS.items():
                previous, path = "", []
                for seq, step in enumerate(steps, start=1):
                    actor, unit, data = who[step]
                    to_status = str(TO_STATUS[step])
                    head = ",".join(
                        [
                            str(seq),
                            canonical_json(step),
                            canonical_json(previous),
                            canonical_json(to_status),
                            jcol(actor),
                            jcol(unit),
                            "",
                        ]
                    )
                    cols = (str(seq), step, previous, to_status, col(actor), col(unit))
                    kind = VARYING.get(step, 0)
                    data = None if kind else canonical_json(data)
                    line = "\t".join(cols) if null else ""
                    delay = DELAY_HOURS[step] * 3600 * US  # jittered by 0.5 to 1.6
                    fields = b"".join(
                        [
                            _INT4(4, seq),
                            _binary_text(step),
                            _binary_text(previous),
                            _binary_text(to_status),
                            _binary_id(actor),
                            _binary_id(unit),
                        ]
                    )
                    data_fields = None if data is None else _binary_jsonb(data)
                    path.append(
                        _Step(
                            delay * 0.5,
                            delay * 1.1,
                            head,
                            data,
                            kind,
                            line,
                            cols,
                            fields,
                            data_fields,
                        )
                    )
                    previous = to_status
                paths[status] = tuple(path)
            per_template.append(
                _Combo(
                    template,
                    col(category),
                    str(lead.pk),
                    lead.name,
                    policies,
                    paths,
                )
            )
        rows.append(
            (
                c.center.region.code[:6],
                c.region.name,
                str(c.region.pk),
                str(center),
                col(agent),
                per_template,
            )
        )
    positions = {}
    for status, steps in PATHS.items():
        at = {step: i for i, step in enumerate(steps)}
        closed = at.get("callback", at.get("mark_invalid", -1))
        positions[status] = (
            at.get("dispatch", -1),
            at.get("acknowledge", -1),
            at.get("reply", -1),
            closed,
        )
    return _Plan(
        seed=seed,
        now=_us(now),
        sqlite=sqlite,
        null=null,
        clean=all(_is_clean(s) for s in texts),
        counties=rows,
        counters=counters,
        first_id=first_id,
        positions=positions,
        register_data={ch: canonical_json({"channel": ch}) for ch, _ in CHANNEL_MIX},
        callback_data={
            str(s): canonical_json(
                {"satisfaction": str(s), "resolved": s != Satisfaction.UNSATISFIED, "note": ""}
            )
            for s, _ in SATISFACTION_MIX
        },
        binary_events=not sqlite and _binary_events_ok(),
    )


@dataclass
class _Task:
    index: int
    first: int  # index of its first ticket in the load
    windows: list  # (start µs, end µs, tickets, local day "YYYYMMDD")

    @property
    def size(self) -> int:
        return sum(w[2] for w in self.windows)


def _tasks(n: int, start: int, end: int, batch: int) -> list[_Task]:
    """Split [start, end) into local days, spread n tickets evenly, group days into chunks."""
    tz = timezone.get_current_timezone()
    day = _dt(start).astimezone(tz).date()
    bounds, days = [start], [day]
    while True:
        day += timedelta(days=1)
        midnight = _us(datetime.combine(day, dtime(0), tzinfo=tz))
        if midnight >= end:
            break
        if midnight > bounds[-1]:
            bounds.append(midnight)
            days.append(day)
    bounds.append(end)
    span = end - start
    first = [n * (b - start) // span for b in bounds]
    tasks, windows, size = [], [], 0
    for j, day in enumerate(days):
        count = first[j + 1] - first[j]
        windows.append((bounds[j], bounds[j + 1], count, day.strftime("%Y%m%d")))
        size += count
        if size >= batch or j == len(days) - 1:
            tasks.append(_Task(len(tasks), first[j + 1] - size, windows))
            windows, size = [], 0
    return tasks


# ---------------------------------------------------------------------------------------
# Making one chunk: pure computation, no database (the workers run it).


class _Days(dict):
    """Epoch day -> its date as text, made on first use."""

    def __init__(self, suffix: str):
        super().__init__()
        self.suffix = suffix

    def __missing__(self, day: int) -> str:
        text = (EPOCH + timedelta(days=day)).date().isoformat() + self.suffix
        self[day] = text
        return text


_HMS: list[str] = []


def _seconds_of_day() -> list[str]:
    if not _HMS:
        _HMS.extend(
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        )
    return _HMS


def _naive_clock():
    """Integer microseconds -> what Django stores on SQLite: naive UTC, str(datetime)."""
    hms, days = _seconds_of_day(), _Days(" ")

    def naive(t: int) -> str:
        s, us = divmod(t, US)
        d, x = divmod(s, 86400)
        return f"{days[d]}{hms[x]}.{us:06d}" if us else f"{days[d]}{hms[x]}"

    return naive


_WORKING_DAYS, _MINUTES, _HOURS = (
    str(LimitUnit.WORKING_DAYS),
    str(LimitUnit.MINUTES),
    str(LimitUnit.HOURS),
)


class _Deadlines:
    """catalog.calendar's deadlines as stored text, remembered where only the day matters."""

    def __init__(self, store):
        self.store = store  # integer microseconds -> the stored text
        self.local_days: dict[int, object] = {}
        self.by_day: dict[tuple, str] = {}

    def __call__(self, start: int, value: int, unit: str) -> str:
        if unit == _WORKING_DAYS and value:
            # The day of receipt does not count; the limit ends when the office closes on
            # the value-th working day after it: a function of the local day alone.
            bucket = start // 900_000_000  # every zone's offset is a multiple of 15 minutes
            day = self.local_days.get(bucket)
            if day is None:
                day = self.local_days[bucket] = _dt(start).astimezone(calendar.LOCAL_TZ).date()
            deadline = self.by_day.get((value, day))
            if deadline is None:
                moment = calendar.add_limit(_dt(start), value, unit)
                deadline = self.by_day[(value, day)] = self.store(_us(moment))
            return deadline
        if unit == _MINUTES:
            return self.store(start + value * 60 * US)
        if unit == _HOURS:
            return self.store(start + value * 3600 * US)
        return self.store(_us(calendar.add_limit(_dt(start), value, unit)))


def _cumulative(mix):
    total, cum = 0, []
    for _, weight in mix:
        total += weight
        cum.append(total)
    return [str(x) for x, _ in mix], cum, total


class _Out:
    """Where a chunk's COPY data goes: three regions of a (shared) buffer, in small batches.

    Encoding line by line into a buffer that is reused from chunk to chunk is several times
    cheaper than building one big string per chunk (no fresh pages to fault in), and the
    parent process reads the buffer in place: nothing is pickled or piped.
    """

    BATCH = 4096  # lines

    def __init__(self, buffer: mmap.mmap, sizes: tuple[int, int, int], binary=(False,) * 3):
        self.buffer, self.binary = buffer, binary
        starts = (0, sizes[0], sizes[0] + sizes[1])
        self.regions = [
            [start, start, start + size, []] for start, size in zip(starts, sizes, strict=True)
        ]

    def write(self, which: int, lines: list[str]):
        if not lines:
            return
        binary = self.binary[which]
        data = b"".join(lines) if binary else b"\n".join(map(str.encode, lines)) + b"\n"
        region = self.regions[which]
        start, pos, end, spill = region
        if spill or pos + len(data) > end:
            spill.append(data)  # does not fit: carried back the slow way
        else:
            self.buffer[pos : pos + len(data)] = data
            region[1] = pos + len(data)
        lines.clear()

    def parts(self):
        return [(start, pos - start, spill) for start, pos, _, spill in self.regions]


@dataclass
class _Chunk:
    index: int
    tickets: object  # PostgreSQL: (offset, length, spilled bytes) in the buffer; SQLite: rows
    events: object
    assignments: object
    counters: dict
    n_tickets: int
    n_events: int
    n_assignments: int
    seconds: float  # CPU time spent making it


def _generate(plan: _Plan, task: _Task, out: _Out | None) -> _Chunk:
    started = time.process_time()
    rng = random.Random(plan.seed * 1_000_003 + task.index)
    r = rng.random
    person, demand_text = synthetic.person, synthetic.demand_text
    pg = not plan.sqlite
    hms, iso_days = _seconds_of_day(), _Days("T")
    naive = None if pg else _naive_clock()

    def iso(t: int) -> str:
        s, us = divmod(t, US)
        d, x = divmod(s, 86400)
        return f"{iso_days[d]}{hms[x]}.{us:06d}+00:00"

    deadline = _Deadlines(iso if pg else naive)
    sha256 = hashlib.sha256
    N = plan.null
    esc = None if (plan.sqlite or plan.clean) else _copy_escape
    jstr = (lambda s: '"' + s + '"') if plan.clean else _json_str
    now, counties, positions = plan.now, plan.counties, plan.positions
    n_counties, n_templates = len(counties), len(TEMPLATES)
    settled = SETTLED_AFTER // ONE_US
    recent, recent_cum, recent_total = _cumulative(RECENT_MIX)
    channels, channel_cum, channel_total = _cumulative(CHANNEL_MIX)
    sats, sat_cum, sat_total = _cumulative(SATISFACTION_MIX)
    bisect_ = bisect.bisect
    closed_, invalid_, unsatisfied = str(Status.CLOSED), str(Status.INVALID), "unsatisfied"
    register_data, callback_data = plan.register_data, plan.callback_data
    reply_a, reply_b, reply_c = REPLY
    base, counters = plan.counters, {}
    tickets, events, assignments = [], [], []
    n_events = n_assignments = 0
    flush_at = _Out.BATCH
    pk = plan.first_id + task.first
    sample, sample_rows = None, []
    binary, join, INT8, ROW_HEAD = plan.binary_events, b"".join, _INT8, ROW_HEAD_
    register_fields = {k: _binary_jsonb(v) for k, v in register_data.items()}
    callback_fields = {k: _binary_jsonb(v) for k, v in callback_data.items()}
    callback_fields[""] = None
    varying_fields = (None,) * 4
    for w_start, w_end, count, day in task.windows:
        if not count:
            continue
        slot = (w_end - w_start) / count
        for k in range(count):
            created = min(w_start + int((k + r()) * slot), w_end - 1)
            code6, place, region_id, center_id, agent, combos = counties[int(r() * n_counties)]
            combo = combos[int(r() * n_templates)]
            template = combo.template
            if now - created > settled:
                status = closed_ if r() < 0.96 else invalid_
            else:
                status = recent[bisect_(recent_cum, r() * recent_total)]
            path = combo.paths[status]
            key = code6 + day
            seqno = counters.get(key)
            if seqno is None:
                seqno = base.get(key, 0)
            seqno += 1
            counters[key] = seqno
            number = f"{key}{seqno:06d}"
            name, phone = person(rng)
            title, content, address = demand_text(rng, template, place)
            urgency = "critical" if r() < 0.01 else ("urgent" if r() < 0.08 else "normal")
            channel = channels[bisect_(channel_cum, r() * channel_total)]
            confidential = "1" if r() < 0.03 else "0"
            i_dispatch, i_ack, i_reply, i_closed = positions[status]
            if i_reply >= 0:
                reply = f"{reply_a}{title}{reply_b}{combo.lead_name}{reply_c}"
                reply_data = '{"body":' + jstr(reply) + "}"
            else:
                reply, reply_data = "", None
            if status == closed_:
                satisfaction = sats[bisect_(sat_cum, r() * sat_total)]
                resolved = "0" if satisfaction == unsatisfied else "1"
                callback = callback_data[satisfaction]
            else:
                satisfaction, resolved, callback = "", N, None
            # The history: each step's time, its hashed form, its row.
            tid = str(pk)
            quoted = '"' + number + '"'
            varying = (None, register_data[channel], reply_data, callback)
            prev, prev_bytes, at, times, stamps = GENESIS, GENESIS_BYTES, created, [], []
            if binary:
                row_head = ROW_HEAD(11, 8, pk)
                reply_fields = reply_data and _binary_jsonb(reply_data)
                varying_fields = (
                    None,
                    register_fields[channel],
                    reply_fields,
                    callback_fields[satisfaction],
                )
            sampling = sample is None
            for low, span, head, data, kind, line, cols, fields, data_fields in path:
                if span:
                    t = created + int(low + span * r())
                    if t > at:
                        at = t
                    t = at if at < now else now
                else:
                    t = created
                s, us = divmod(t, US)
                d, x = divmod(s, 86400)
                moment = f"{iso_days[d]}{hms[x]}.{us:06d}+00:00"
                if data is None:
                    data = varying[kind]
                    data_fields = varying_fields[kind]
                digest = sha256(f'[{quoted},{head}{data},"{moment}","{prev}"]'.encode()).hexdigest()
                if binary:
                    digest_bytes = digest.encode()
                    events.append(
                        join(
                            (
                                row_head,
                                fields,
                                data_fields,
                                INT8(8, t - PG_EPOCH),
                                LENGTH_64,
                                prev_bytes,
                                LENGTH_64,
                                digest_bytes,
                            )
                        )
                    )
                    prev_bytes = digest_bytes
                    stamps.append(moment)
                elif pg:
                    stored = data if esc is None else esc(data)
                    events.append(f"{tid}\t{line}\t{stored}\t{moment}\t{prev}\t{digest}")
                    stamps.append(moment)
                else:
                    stamp = naive(t)
                    events.append((tid, *cols, data, stamp, prev, digest))
                    stamps.append(stamp)
                if sampling:
                    sample_rows.append((tid, *cols, data, None, prev, digest))
                times.append(t)
                prev = digest
            n_events += len(path)
            if i_dispatch >= 0:
                ack_value, ack_unit, handle_value, handle_unit = combo.policies[urgency]
                start = times[i_dispatch]
                ack_deadline = deadline(start, ack_value, ack_unit)
                handle_deadline = deadline(start, handle_value, handle_unit)
                lead = combo.lead
                dispatched = stamps[i_dispatch]
                acknowledged = stamps[i_ack] if i_ack >= 0 else N
                row = (tid, lead, "lead", N, "1", dispatched, acknowledged)
                assignments.append("\t".join(row) if pg else row)
                n_assignments += 1
            else:
                lead = dispatched = ack_deadline = handle_deadline = acknowledged = N
            if esc is not None:
                name, title, content, address, reply = map(
                    esc, (name, title, content, address, reply)
                )
            row = (
                tid,
                number,
                channel,
                N,
                status,
                name,
                phone,
                "0",
                confidential,
                template.appeal_type,
                combo.category,
                title,
                content,
                region_id,
                address,
                N,
                N,
                urgency,
                center_id,
                lead,
                agent,
                stamps[0],
                stamps[-1],
                dispatched,
                ack_deadline,
                acknowledged,
                handle_deadline,
                stamps[i_reply] if i_reply >= 0 else N,
                stamps[i_closed] if i_closed >= 0 else N,
                reply,
                resolved,
                satisfaction,
                "0",
                "0",
                "0",
                "0",
                "",
                N,
                prev,
                str(len(path)),
            )
            tickets.append("\t".join(row) if pg else row)
            if sampling:
                sample = (number, times, sample_rows)
            pk += 1
            if out is not None and len(events) >= flush_at:
                out.write(0, tickets)
                out.write(1, events)
                out.write(2, assignments)
    if sample is not None:
        _check_sample(plan, *sample)
    if out is not None:
        for which, lines in enumerate((tickets, events, assignments)):
            if lines:
                out.write(which, lines)
        tickets, events, assignments = out.parts()
    return _Chunk(
        task.index,
        tickets,
        events,
        assignments,
        counters,
        task.size,
        n_events,
        n_assignments,
        time.process_time() - started,
    )


def _check_sample(plan: _Plan, number, times, rows):
    """Re-hash one ticket's events with history.event_hash: the fast form must not drift."""
    prev = GENESIS
    for moment, row in zip(times, rows, strict=True):
        if isinstance(row, str):
            row = row.split("\t")
        _, seq, action, from_status, to_status, actor, unit, data, _, prev_hash, digest = row
        expected = event_hash(
            number=number,
            seq=int(seq),
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_id=None if actor == plan.null else int(actor),
            actor_unit_id=None if unit == plan.null else int(unit),
            data=json.loads(data),
            created_at=_dt(moment),
            prev=prev,
        )
        if prev_hash != prev or digest != expected:
            raise RuntimeError(f"bulk: the hashed form of {number} #{seq} differs from history")
        prev = digest


# ---------------------------------------------------------------------------------------
# Feeding the database.

# The state a forked worker inherits: the plan and the shared buffers, one per chunk in flight.
_PLAN: _Plan | None = None
_BUFFERS: list = []
_SIZES: tuple[int, int, int] = (0, 0, 0)
# Room per ticket in a buffer (bytes of COPY text); a chunk that needs more still works.
ROOM = (1536, 3072, 256)


def _out(plan: _Plan, slot: int) -> _Out | None:
    if plan.sqlite:
        return None
    return _Out(_BUFFERS[slot], _SIZES, (False, plan.binary_events, False))


def _work(task: _Task, slot: int) -> _Chunk:
    """A worker process's job: one chunk. A worker never uses the parent's connection."""
    chunk = _generate(_PLAN, task, _out(_PLAN, slot))
    if connection.connection is not None:  # its own, if the calendar had to be re-read
        connection.close()
    return chunk


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
            # The children must not share the parent's socket: close it before forking
            # (the parent reconnects on its next query).
            connection.close()
            self.pool = multiprocessing.get_context("fork").Pool(self.workers)
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
            if not plan.sqlite:
                offset, length, spill = data
                if not length and not spill:
                    continue
                options = ", ".join(["FORMAT binary"] * binary + ["FREEZE"] * freeze)
                options = f" WITH ({options})" if options else ""
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN{options}") as copy:
                    if binary:
                        copy.write(BINARY_HEADER)
                    if length:
                        # Straight from the buffer the rows were made in: no copy here.
                        buffer = _BUFFERS[chunk.index % len(_BUFFERS)]
                        with memoryview(buffer) as view, view[offset : offset + length] as rows:
                            copy.write(rows)
                    for part in spill:
                        copy.write(part)
                    if binary:
                        copy.write(BINARY_TRAILER)
            elif data:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", data)


class _Rebuild:
    """The secondary indexes and the constraints of the bulk tables, dropped and recreated.

    PostgreSQL: everything but the primary keys and the check constraints, that is the
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
        self.indexes = cursor.fetchall()
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


def load(
    n: int,
    *,
    seed: int = 1,
    days: int = 365,
    now=None,
    batch: int = 20000,
    workers: int | None = None,
    rebuild: bool | None = None,
    stats: dict | None = None,
) -> int:
    """Write `n` synthetic tickets registered over the last `days` days; returns n.

    `batch`: tickets per chunk (whole local days, so a chunk may be larger). `workers`:
    forked processes that make the chunks while this one writes them (0: this one makes
    them too; default: one per CPU on PostgreSQL, whose server does the writing, one less
    on SQLite; only from PARALLEL_MIN tickets and outside a transaction, and the database
    connection is closed before forking). `rebuild`: drop and recreate indexes and
    constraints around the load, in one transaction (default: from REBUILD_MIN tickets,
    outside a transaction, if that at least quarters the table). `stats`, if given, is
    filled with counts and timings. The same seed, days, now and batch give the same rows.
    """
    started = time.perf_counter()
    times = stats if stats is not None else {}
    if n <= 0:
        return 0
    _check_columns()
    now = (now or timezone.now()).replace(microsecond=0)
    counties = _contexts()
    if not counties:
        raise RuntimeError("no county with a hotline center: load the demo province first")
    categories = dict(
        Category.objects.filter(code__in={t.category for t in TEMPLATES}).values_list("code", "id")
    )
    counters = dict(NumberCounter.objects.values_list("key", "value"))
    if rebuild is None:
        # Rebuilding costs in proportion to the rows already there; keeping the indexes
        # costs in proportion to the rows added (several times more per row).
        # Not inside the caller's transaction: what it has pending would block the DDL.
        rebuild = (
            n >= REBUILD_MIN and n * 4 >= Ticket.objects.count() and not connection.in_atomic_block
        )
    first_id = _reserve_ids(Ticket, n)
    plan = _plan(
        seed=seed,
        now=now,
        counties=counties,
        categories=categories,
        counters=counters,
        first_id=first_id,
    )
    tasks = _tasks(n, plan.now - days * 86400 * US, plan.now, batch)
    if workers is None:
        cpus = min(os.cpu_count() or 1, 8)
        workers = cpus if connection.vendor == "postgresql" else cpus - 1
    parallel = (
        workers > 0
        and len(tasks) > 1
        and n >= PARALLEL_MIN
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
        and not (connection.vendor == "sqlite" and connection.is_in_memory_db())
    )
    times.update(
        tickets=n,
        chunks=len(tasks),
        workers=workers if parallel else 0,
        rebuild=rebuild,
        prepare_s=time.perf_counter() - started,
    )
    final: dict[str, int] = {}
    totals = {"events": 0, "assignments": 0, "generate_cpu_s": 0.0, "write_s": 0.0}

    def feed(chunk: _Chunk, freeze: bool = False):
        t = time.perf_counter()
        _write(chunk, plan, freeze)
        if not rebuild:  # each chunk commits on its own, with the numbers it took
            _save_counters(chunk.counters)
        totals["write_s"] += time.perf_counter() - t
        totals["events"] += chunk.n_events
        totals["assignments"] += chunk.n_assignments
        totals["generate_cpu_s"] += chunk.seconds
        for key, value in chunk.counters.items():
            final[key] = max(value, final.get(key, 0))

    with _Producer(plan, tasks, workers if parallel else 0) as chunks:
        if rebuild:
            with transaction.atomic(), connection.cursor() as cursor:
                schema = _Rebuild(cursor, times)
                schema.drop()
                times["frozen"] = schema.freeze
                for chunk in chunks:
                    feed(chunk, schema.freeze)
                schema.restore()
                _save_counters(final)
                t = time.perf_counter()
            times["commit_s"] = time.perf_counter() - t
        else:
            for chunk in chunks:
                with transaction.atomic():
                    feed(chunk)
        times["wait_s"] = chunks.waited
    times.update(totals)
    times["total_s"] = time.perf_counter() - started
    return n


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
