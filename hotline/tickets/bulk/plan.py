"""What tickets to make: the mixes, the paths and their steps, the plan and its chunks."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from hotline.catalog.policies import policy_for
from hotline.orgs.models import Membership, Region, RegionLevel, Role, Unit, UnitKind

from .. import partitions, synthetic
from ..history import canonical_json
from ..models import Satisfaction, Status
from ..synthetic import TEMPLATES
from .binary import _binary_events_ok
from .clock import US, _dt, _us

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
# The texts of events, as the lifecycle writes them.
REPLY = ("经核查，", "一事已由", "现场处理，相关问题已整改完毕，感谢您的监督。")  # title, unit
# The steps whose data varies per ticket.
VARYING = {"register": 1, "reply": 2, "callback": 3}
INVALID_REASON = "重复来电，无实际诉求"
RETURN_REASON = "该事项不属于本单位职责，请改派"


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
    values: tuple  # the same as Python values (PostgreSQL's binary COPY, by psycopg)


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
    partitioned: frozenset = frozenset()  # tables COPY must not FREEZE (tickets.partitions)


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
                    values = (seq, step, previous, to_status, actor, unit)
                    path.append(
                        _Step(
                            delay * 0.5,
                            delay * 1.1,
                            head,
                            data,
                            kind,
                            line,
                            cols,
                            values,
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
        partitioned=frozenset([partitions.TABLE] if partitions.is_partitioned() else []),
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
