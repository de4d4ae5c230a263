"""The bulk path: load many synthetic tickets with complete, hash-chained histories, fast.

It writes what the lifecycle would have written over months (tickets, their events, their
assignments) straight into the tables, with COPY on PostgreSQL and executemany on SQLite,
for the demo and the benchmarks. Every history it writes passes `hotline check-chain`. It
writes no outbox rows: these changes happened before any subscriber existed and must not be
published as news.

How it is fast (a million tickets in about a minute on two cores):

* Tickets are made in chunks of whole local days, oldest first. A ticket number's sequence
  runs per region and local day, so no two chunks share a counter and the chunks can be
  made in any order, by other processes (`workers`), while this one feeds the database.
* A chunk is made as text in the database's own input format; every constant piece (the
  JSON of an event's data, an actor's id, an action and its statuses) is serialised once,
  and each event's hashed form is spliced from those pieces (see history.canonical_json).
  A sample of each chunk is re-hashed with history.event_hash, so the two cannot drift.
* On PostgreSQL, a large load (`rebuild`, by default from REBUILD_MIN tickets) runs in one
  transaction that drops the non-unique indexes and the foreign keys of the three tables,
  loads, then recreates them with their exact definitions (a sorted index build and one
  join per foreign key are far cheaper than millions of row-by-row checks), and ANALYZEs.
  Recreating a foreign key checks every row, so integrity is checked as before, only at
  once; and PostgreSQL's DDL is transactional, so a failure (or a crash) at any point
  rolls everything back, indexes and constraints included. It locks the three tables and
  the tables they reference for the whole load: meant for the demo and the benchmarks.
"""

import bisect
import json
import multiprocessing
import os
import random
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

from django.db import connection, transaction
from django.utils import timezone

from hotline.catalog import calendar
from hotline.catalog.models import Category, LimitUnit
from hotline.catalog.policies import policy_for
from hotline.orgs.models import Membership, Region, RegionLevel, Role, Unit, UnitKind

from . import synthetic
from .history import GENESIS, canonical_json, event_hash, form_digest
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
# From this many tickets, a PostgreSQL load rebuilds indexes and foreign keys (see above).
REBUILD_MIN = 200_000
# From this many tickets, chunks are made by worker processes.
PARALLEL_MIN = 20_000
# The texts of events, as the lifecycle writes them.
REPLY_TEXT = "经核查，{title}一事已由{lead}现场处理，相关问题已整改完毕，感谢您的监督。"
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


@dataclass
class _Step:
    """One event of a path, for one county and template, with its constant pieces."""

    step: str
    delay: float  # microseconds after registration, before jitter
    cols: tuple  # seq, action, from_status, to_status, actor_id, actor_unit_id as stored
    head: str  # the hashed form from seq up to (not including) the data
    data: str | None  # its data as canonical JSON, or None if it varies per ticket


@dataclass
class _Combo:
    """A county and a template: everything about a ticket that does not vary."""

    template: object
    category: str
    lead: str
    lead_name: str
    policies: dict  # urgency -> (ack value, ack unit, handle value, handle unit)
    paths: dict  # status -> list[_Step]


@dataclass
class _Plan:
    seed: int
    now: int
    sqlite: bool
    null: str | None
    clean: bool
    counties: list  # (County, code6, place, region id, center id, agent id)
    combos: list  # [county][template] -> _Combo
    counters: dict
    first_id: int
    positions: dict  # status -> (dispatch, acknowledge, reply, closed) index in its path
    register_data: dict
    callback_data: dict


_PLAN: _Plan | None = None


def _json_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _is_clean(s: str) -> bool:
    """True if `s` needs no escaping, neither in JSON nor in COPY's text format."""
    return not any(ch in '"\\' or ch < " " for ch in s)


def _copy_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


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

    texts = [t.title for t in TEMPLATES] + [t.content for t in TEMPLATES] + [REPLY_TEXT]
    texts += synthetic.ESTATES + synthetic.ROADS + synthetic.GIVEN + [synthetic.SURNAMES]
    rows = []
    combos = []
    for c in counties:
        agent, dispatcher = c.actors.get(Role.AGENT), c.actors.get(Role.DISPATCHER)
        reviewer, callback = c.actors.get(Role.REVIEWER), c.actors.get(Role.CALLBACK)
        center = c.center.pk
        rows.append(
            (c, c.center.region.code[:6], c.region.name, str(c.region.pk), str(center), agent)
        )
        texts.append(c.region.name)
        per_template = []
        for template in TEMPLATES:
            lead = c.departments.get(template.function) or c.fallback
            texts.append(lead.name)
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
                    data = None if data is None else canonical_json(data)
                    path.append(_Step(step, DELAY_HOURS[step] * 3600 * US, cols, head, data))
                    previous = to_status
                paths[status] = path
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
        combos.append(per_template)
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
        combos=combos,
        counters=counters,
        first_id=first_id,
        positions=positions,
        register_data={ch: canonical_json({"channel": ch}) for ch, _ in CHANNEL_MIX},
        callback_data={
            s: canonical_json(
                {"satisfaction": str(s), "resolved": s != Satisfaction.UNSATISFIED, "note": ""}
            )
            for s, _ in SATISFACTION_MIX
        },
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


def _clock():
    """(hashed-form time, stored time) formatters of integer microseconds."""
    if not _HMS:
        _HMS.extend(f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60))
    hms, iso_days, sql_days = _HMS, _Days("T"), _Days(" ")

    def iso(t: int) -> str:  # history.hash_time, and PostgreSQL's input
        s, us = divmod(t, US)
        d, x = divmod(s, 86400)
        return f"{iso_days[d]}{hms[x]}.{us:06d}+00:00"

    def naive(t: int) -> str:  # what Django stores on SQLite: naive UTC, str(datetime)
        s, us = divmod(t, US)
        d, x = divmod(s, 86400)
        return f"{sql_days[d]}{hms[x]}.{us:06d}" if us else f"{sql_days[d]}{hms[x]}"

    return iso, naive


class _Deadlines:
    """catalog.calendar's deadlines, remembered where they depend on the local day only."""

    def __init__(self):
        self.local_days: dict[int, object] = {}
        self.by_day: dict[tuple, int] = {}

    def __call__(self, start: int, value: int, unit: str) -> int:
        if unit == LimitUnit.MINUTES:
            return start + value * 60 * US
        if unit == LimitUnit.HOURS:
            return start + value * 3600 * US
        if unit == LimitUnit.WORKING_DAYS and value:
            # The day of receipt does not count; the limit ends when the office closes on
            # the value-th working day after it: a function of the local day alone.
            bucket = start // (900 * US)  # every zone's offset is a multiple of 15 minutes
            day = self.local_days.get(bucket)
            if day is None:
                day = self.local_days[bucket] = _dt(start).astimezone(calendar.LOCAL_TZ).date()
            key = (value, day)
            deadline = self.by_day.get(key)
            if deadline is None:
                deadline = self.by_day[key] = _us(calendar.add_limit(_dt(start), value, unit))
            return deadline
        return _us(calendar.add_limit(_dt(start), value, unit))


def _cumulative(mix):
    total, cum = 0, []
    for _, weight in mix:
        total += weight
        cum.append(total)
    return [x for x, _ in mix], cum, total


@dataclass
class _Chunk:
    index: int
    tickets: object  # bytes (COPY text) on PostgreSQL, a list of tuples on SQLite
    events: object
    assignments: object
    counters: dict
    n_tickets: int
    n_events: int
    n_assignments: int
    seconds: float  # CPU time spent making it


def _generate(plan: _Plan, task: _Task) -> _Chunk:
    started = time.process_time()
    rng = random.Random(plan.seed * 1_000_003 + task.index)
    r = rng.random
    iso, naive = _clock()
    store = naive if plan.sqlite else iso
    deadline = _Deadlines()
    sha = form_digest.__globals__["hashlib"].sha256
    N = plan.null
    esc = None if (plan.sqlite or plan.clean) else _copy_escape
    jstr = (lambda s: '"' + s + '"') if plan.clean else _json_str
    now, counties, combos, positions = plan.now, plan.counties, plan.combos, plan.positions
    n_counties, n_templates = len(counties), len(TEMPLATES)
    settled = SETTLED_AFTER // ONE_US
    recent, recent_cum, recent_total = _cumulative(RECENT_MIX)
    channels, channel_cum, channel_total = _cumulative(CHANNEL_MIX)
    sats, sat_cum, sat_total = _cumulative(SATISFACTION_MIX)
    bisect_ = bisect.bisect
    register_data, callback_data = plan.register_data, plan.callback_data
    status_strs = {s: str(s) for s in PATHS}
    base, counters = plan.counters, {}
    tickets, events, assignments = [], [], []
    pk = plan.first_id + task.first
    check = True  # re-hash the first ticket of the chunk the slow, canonical way
    for w_start, w_end, count, day in task.windows:
        if not count:
            continue
        slot = (w_end - w_start) / count
        for k in range(count):
            created = min(w_start + int((k + r()) * slot), w_end - 1)
            county, code6, place, region_id, center_id, agent = counties[int(r() * n_counties)]
            ti = int(r() * n_templates)
            combo = combos[county_index := counties.index] if False else None  # noqa: F841
            break
        break
    raise NotImplementedError
