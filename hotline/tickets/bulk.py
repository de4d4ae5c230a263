"""The bulk path: load many synthetic tickets with complete, hash-chained histories, fast.

It writes what the lifecycle would have written over months (tickets, their events, their
assignments) straight into the tables, with COPY on PostgreSQL and executemany on SQLite,
for the demo and the benchmarks. Every history it writes passes `hotline check-chain`. It
writes no outbox rows: these changes happened before any subscriber existed and must not be
published as news.
"""

import json
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from hotline.catalog.models import Category
from hotline.catalog.policies import deadlines, policy_for
from hotline.orgs.models import Membership, Region, RegionLevel, Role, Unit, UnitKind

from .history import GENESIS, event_hash
from .models import Assignment, NumberCounter, Satisfaction, Status, Ticket, TicketEvent
from .synthetic import TEMPLATES, demand_text, person

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


def _pick(rng, mix):
    return rng.choices([x for x, _ in mix], weights=[w for _, w in mix])[0]


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
    for region in Region.objects.filter(level=RegionLevel.COUNTY).select_related("parent"):
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


class _Writer:
    def __init__(self, model, skip=()):
        self.table = model._meta.db_table
        self.columns = _columns(model, skip)
        self.rows: list[tuple] = []
        self.pg = connection.vendor == "postgresql"

    def add(self, values: dict):
        self.rows.append(tuple(values[c] for c in self.columns))

    def flush(self):
        if not self.rows:
            return
        cols = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                ops = connection.ops
                marks = ", ".join(["%s"] * len(self.columns))
                rows = [
                    tuple(
                        ops.adapt_datetimefield_value(v) if hasattr(v, "tzinfo") else v for v in row
                    )
                    for row in self.rows
                ]
                cursor.executemany(f"INSERT INTO {self.table} ({cols}) VALUES ({marks})", rows)
        self.rows = []


def load(n: int, *, seed: int = 1, days: int = 365, now=None, batch: int = 20000) -> int:
    """Write `n` synthetic tickets registered over the last `days` days; returns n."""
    rng = random.Random(seed)
    now = (now or timezone.now()).replace(microsecond=0)
    counties = _contexts()
    if not counties:
        raise RuntimeError("no county with a hotline center: load the demo province first")
    categories = dict(
        Category.objects.filter(code__in={t.category for t in TEMPLATES}).values_list("code", "id")
    )
    counters = dict(NumberCounter.objects.values_list("key", "value"))
    first_id = _reserve_ids(Ticket, n)
    writers = (
        _Writer(Ticket),
        _Writer(TicketEvent, skip=("id",)),
        _Writer(Assignment, skip=("id",)),
    )
    for i in range(n):
        _one(rng, first_id + i, now, days, counties, categories, counters, *writers)
        if (i + 1) % batch == 0:
            with transaction.atomic():
                for w in writers:
                    w.flush()
    with transaction.atomic():
        for w in writers:
            w.flush()
        _save_counters(counters)
    return n


def _save_counters(counters):
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO tickets_numbercounter (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = "
            "CASE WHEN excluded.value > tickets_numbercounter.value "
            "THEN excluded.value ELSE tickets_numbercounter.value END",
            list(counters.items()),
        )


def _one(rng, pk, now, days, counties, categories, counters, tickets, events, assignments):
    county = rng.choice(counties)
    template = rng.choice(TEMPLATES)
    age = timedelta(seconds=rng.randint(0, days * 86400))
    created = now - age
    if age > timedelta(days=12):
        status = Status.CLOSED if rng.random() < 0.96 else Status.INVALID
    else:
        status = _pick(rng, RECENT_MIX)
    steps = PATHS[status]
    times, at = {}, created
    for step in steps:
        at = max(at, created + timedelta(hours=DELAY_HOURS[step] * rng.uniform(0.5, 1.6)))
        times[step] = min(at, now)
    lead = county.departments.get(template.function) or county.fallback
    name, phone = person(rng)
    title, content, address = demand_text(rng, template, county.region.name)
    center = county.center
    day = timezone.localtime(created).strftime("%Y%m%d")
    key = center.region.code[:6] + day
    counters[key] = counters.get(key, 0) + 1
    urgency = "critical" if rng.random() < 0.01 else ("urgent" if rng.random() < 0.08 else "normal")
    t = {
        "id": pk,
        "number": f"{key}{counters[key]:06d}",
        "channel": _pick(rng, CHANNEL_MIX),
        "external_ref": None,
        "status": status,
        "citizen_name": name,
        "citizen_phone": phone,
        "anonymous": False,
        "confidential": rng.random() < 0.03,
        "appeal_type": template.appeal_type,
        "category_id": categories.get(template.category),
        "title": title,
        "content": content,
        "region_id": county.region.pk,
        "address": address,
        "latitude": None,
        "longitude": None,
        "urgency": urgency,
        "center_id": center.pk,
        "lead_unit_id": None,
        "registered_by_id": county.actors.get(Role.AGENT),
        "created_at": created,
        "updated_at": times[steps[-1]],
        "dispatched_at": None,
        "ack_deadline": None,
        "acknowledged_at": None,
        "handle_deadline": None,
        "replied_at": None,
        "closed_at": None,
        "reply": "",
        "resolved": None,
        "satisfaction": "",
        "extension_count": 0,
        "reopen_count": 0,
        "return_count": 0,
        "is_supervised": False,
        "risk_level": "",
        "merged_into_id": None,
    }
    if "dispatch" in times:
        policy = policy_for(
            appeal_type=template.appeal_type,
            urgency=urgency,
            category=t["category_id"],
            region=county.region,
        )
        t["lead_unit_id"] = lead.pk
        t["dispatched_at"] = times["dispatch"]
        t["ack_deadline"], t["handle_deadline"] = deadlines(policy=policy, start=times["dispatch"])
        assignments.add(
            {
                "ticket_id": pk,
                "unit_id": lead.pk,
                "role": "lead",
                "parent_id": None,
                "is_active": True,
                "assigned_at": times["dispatch"],
                "acknowledged_at": times.get("acknowledge"),
            }
        )
    t["acknowledged_at"] = times.get("acknowledge")
    if "reply" in times:
        t["replied_at"] = times["reply"]
        t["reply"] = (
            f"经核查，{title}一事已由{lead.name}现场处理，相关问题已整改完毕，感谢您的监督。"
        )
    if status == Status.CLOSED:
        t["closed_at"] = times["callback"]
        t["satisfaction"] = _pick(rng, SATISFACTION_MIX)
        t["resolved"] = t["satisfaction"] != Satisfaction.UNSATISFIED
    if status == Status.INVALID:
        t["closed_at"] = times["mark_invalid"]
    prev, previous = GENESIS, ""
    for seq, step in enumerate(steps, start=1):
        to_status = TO_STATUS[step]
        actor, unit_id, data = _actor(step, county, lead, t)
        digest = event_hash(
            number=t["number"],
            seq=seq,
            action=step,
            from_status=previous,
            to_status=to_status,
            actor_id=actor,
            actor_unit_id=unit_id,
            data=data,
            created_at=times[step],
            prev=prev,
        )
        events.add(
            {
                "ticket_id": pk,
                "seq": seq,
                "action": step,
                "from_status": previous,
                "to_status": to_status,
                "actor_id": actor,
                "actor_unit_id": unit_id,
                "data": json.dumps(data, ensure_ascii=False),
                "created_at": times[step],
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev, previous = digest, to_status
    t["last_event_hash"], t["event_count"] = prev, len(steps)
    tickets.add(t)


def _actor(step, county: County, lead: Unit, t: dict):
    center = county.center.pk
    if step == "register":
        return county.actors.get(Role.AGENT), center, {"channel": t["channel"]}
    if step in ("accept", "mark_invalid"):
        data = {"reason": "重复来电，无实际诉求"} if step == "mark_invalid" else {"note": ""}
        return county.actors.get(Role.AGENT), center, data
    if step == "dispatch":
        return (
            county.actors.get(Role.DISPATCHER),
            center,
            {"lead": lead.code, "assisting": [], "note": ""},
        )
    if step == "acknowledge":
        return None, lead.pk, {}
    if step == "request_return":
        return None, lead.pk, {"reason": "该事项不属于本单位职责，请改派"}
    if step == "reply":
        return None, lead.pk, {"body": t["reply"]}
    if step == "approve_reply":
        return county.actors.get(Role.REVIEWER), center, {"note": ""}
    return (
        county.actors.get(Role.CALLBACK),
        center,
        {"satisfaction": t["satisfaction"], "resolved": t["resolved"], "note": ""},
    )
