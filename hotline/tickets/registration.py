"""What a new ticket is built from: checked input, its center, its number."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from hotline.catalog.models import AppealType, Category, Urgency
from hotline.errors import Forbidden, InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import Region, Role
from hotline.orgs.regions import region_by_code

from . import fastinsert
from .guards import text
from .history import GENESIS
from .models import Channel, Status, Ticket

PHONE_RE = re.compile(r"^\+?[0-9][0-9-]{2,19}$")


@dataclass
class RegisterInput:
    channel: str
    appeal_type: str
    title: str
    content: str
    urgency: str = Urgency.NORMAL
    citizen_name: str = ""
    citizen_phone: str = ""
    anonymous: bool = False
    confidential: bool = False
    category: Category | int | None = None
    region: Region | str | None = None
    address: str = ""
    latitude: Decimal | float | None = None
    longitude: Decimal | float | None = None
    external_ref: str | None = None
    center_code: str | None = None


_VALUES: dict = {}  # choices class -> its values as a set (`.values` builds a list per call)


def _choice(value, choices, field, label):
    values = _VALUES.get(choices)
    if values is None:
        values = _VALUES[choices] = frozenset(choices.values)
    if value not in values:
        raise InvalidInput(
            f"{label}取值无效：{value}", f"{field} must be one of {choices.values}", field=field
        )
    return value


def _category(value) -> Category | None:
    if value is None or isinstance(value, Category):
        return value
    found = Category.objects.filter(pk=value, is_active=True).first()
    if found is None:
        raise InvalidInput("诉求分类不存在", f"unknown category {value}", field="category")
    return found


def _region(value) -> Region | None:
    if value is None or isinstance(value, Region):
        return value
    found = region_by_code(value)
    if found is None:
        raise InvalidInput("行政区划代码不存在", f"unknown region code {value}", field="region")
    return found


def _coordinate(value, field, bound):
    if value is None:
        return None
    value = Decimal(str(value)).quantize(Decimal("0.000001"))
    if abs(value) > bound:
        raise InvalidInput(
            f"坐标超出范围（±{bound}）", f"{field} must be within ±{bound}", field=field
        )
    return value


# The counter's bump and, on PostgreSQL, the ids of the ticket, its event and its outbox row
# in one statement: with the ids known, the inserts need no RETURNING and can all go to the
# server in one round trip (see `pipelined`).
_BUMP = (
    "INSERT INTO tickets_numbercounter (key, value) VALUES (%s, 1) "
    "ON CONFLICT (key) DO UPDATE SET value = tickets_numbercounter.value + 1 "
    "RETURNING value"
)
_SEQUENCES: dict[str, str] = {}  # table -> its id sequence, looked up once per process


def _sequence(cursor, table: str) -> str:
    found = _SEQUENCES.get(table)
    if found is None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        found = _SEQUENCES[table] = cursor.fetchone()[0]
    return found


def number_ticket(ticket, then: tuple[str, list] | None = None) -> tuple[int, int, list] | None:
    """Give `ticket` its number: region code + local date + a sequence per region and day
    (350100 20261125 000042). Numbers are unique (the counter's row lock, and a unique index
    behind it).

    SQLite: call it inside the registration's transaction. IMMEDIATE has locked the whole
    database from BEGIN, so the bump costs no concurrency there, and a registration that
    rolls back returns its number: no gaps.

    PostgreSQL: call it before the registration's transaction. The bump commits in a short
    transaction of its own, its BEGIN, SET LOCAL and COMMIT sent as one string (one round
    trip), so the counter's row is locked for that round trip only; the registration's own
    (synchronous) commit follows in the same WAL and flushes it, and if the server dies
    before that, no ticket carries the number. A registration that rolls back leaves a gap,
    as a sequence would (docs/decisions.md). The same statement draws the ids of the ticket,
    its event and its outbox row, so that their inserts need no RETURNING and go in one
    string too (fastinsert.insert_together): set on `ticket` and returned as (event id,
    outbox id, rows), the rows those of `then` (sql, params): a read that PostgreSQL runs in
    the bump's round trip, before the bump so that the counter's row is not locked while it
    runs ([] without `then`). None on SQLite."""
    day = timezone.localtime(ticket.created_at).strftime("%Y%m%d")
    key = ticket.center.region.code6 + day
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(_BUMP, [key])
            (value,) = cursor.fetchone()
            ticket.number = f"{key}{value:06d}"
            return None
        seqs = [_sequence(cursor, t) for t in ("tickets_ticket", "tickets_ticketevent")]
        seqs.append(_sequence(cursor, "exchange_outboxmessage"))
        bump = _BUMP + ", nextval(%s), nextval(%s), nextval(%s)"
        rows = []
        if connection.in_atomic_block:
            # Inside a caller's transaction a COMMIT of our own would end the caller's: a
            # savepoint instead, the lock then held to the caller's commit.
            with transaction.atomic():
                if then is not None:
                    cursor.execute(*then)
                    rows = _row_sets(cursor.cursor)[0]
                cursor.execute("SET LOCAL synchronous_commit TO OFF; " + bump, [key, *seqs])
                (bumped,) = _row_sets(cursor.cursor)
        else:
            sql, params = then if then is not None else (None, [])
            *read, bump = fastinsert.executable(cursor, [sql, bump] if sql else [bump])
            cursor.execute(
                f"BEGIN; SET LOCAL synchronous_commit TO OFF; {''.join(r + '; ' for r in read)}"
                f"{bump}; COMMIT",
                [*params, key, *seqs],
            )
            sets = _row_sets(cursor.cursor)
            bumped = sets[-1]
            if then is not None:
                rows = sets[0]
        value, ticket.pk, event_id, outbox_id = bumped[0]
    ticket.number = f"{key}{value:06d}"
    return event_id, outbox_id, rows


def _row_sets(cursor) -> list[list]:
    """The rows of each statement of a string just run that returns rows, in order."""
    sets = []
    while True:
        if cursor.description is not None:
            sets.append(cursor.fetchall())
        if not cursor.nextset():
            return sets


def next_numbers(code6: str, at, n: int) -> list[str]:
    """`n` consecutive numbers for one region and day, from one bump of the counter by `n`.

    A batch bumps the counter in a short transaction of its own, before the batch's, so that
    the counter's row stays locked for one statement rather than the whole batch; a batch
    that then rolls back leaves a gap of `n`, as a sequence would. That transaction commits
    without waiting for its WAL flush: the batch's own (synchronous) commit comes later in
    the same WAL and flushes it, and if the server dies before that, no ticket carries the
    numbers."""
    if n <= 0:
        return []
    day = timezone.localtime(at).strftime("%Y%m%d")
    key = code6 + day
    upsert = (
        "INSERT INTO tickets_numbercounter (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = tickets_numbercounter.value + EXCLUDED.value "
        "RETURNING value"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit TO OFF; " + upsert, [key, n])
            cursor.cursor.nextset()
        else:
            cursor.execute(upsert, [key, n])
        (last,) = cursor.fetchone()
    return [f"{key}{value:06d}" for value in range(last - n + 1, last + 1)]


def intake_membership(by, center_code: str | None):
    """The actor's agent or dispatcher membership at the center that takes the demand."""
    for m in scope.memberships(by):
        wanted = center_code is None or m.unit.code == center_code
        if m.role in (Role.AGENT, Role.DISPATCHER) and m.unit.is_center and wanted:
            return m
    if center_code is not None:
        raise InvalidInput(
            "无权在该中心受理", f"you cannot register at center {center_code}", field="center_code"
        )
    raise Forbidden(
        "只有热线中心的话务员或派单员可以受理诉求",
        "Only an agent or dispatcher of a hotline center may register a demand",
    )


def build_ticket(*, by, data: RegisterInput, status: str | None = None, at=None, acting=None):
    """Check the input and build (not save) the ticket, without its number: one at a time
    it is drawn in the registration's transaction (`number_ticket`), a batch draws its
    numbers in one step (`next_numbers`). Returns (ticket, membership).

    `acting`: an unsaved agent membership at the center the demand is registered for, when
    the actor registers on that center's behalf without a role there (the overflow pool,
    temporary agents); the caller (incidents) has checked the right to act."""
    channel = _choice(data.channel, Channel, "channel", "来源渠道")
    appeal_type = _choice(data.appeal_type, AppealType, "appeal_type", "诉求类型")
    urgency = _choice(data.urgency, Urgency, "urgency", "紧急程度")
    title = text(data.title, "title", "标题", max_len=200)
    content = text(data.content, "content", "诉求内容", max_len=5000)
    citizen_name = text(data.citizen_name, "citizen_name", "诉求人姓名", min_len=0, max_len=64)
    phone = (data.citizen_phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput(
            "联系电话格式不正确", "citizen_phone is not a phone number", field="citizen_phone"
        )
    address = text(data.address, "address", "地址", min_len=0, max_len=200)
    ref = (data.external_ref or "").strip() or None
    if ref and len(ref) > 64:
        raise InvalidInput(
            "外部编号不能超过64个字符",
            "external_ref must be at most 64 characters",
            field="external_ref",
        )
    category = _category(data.category)
    region = _region(data.region)
    latitude = _coordinate(data.latitude, "latitude", 90)
    longitude = _coordinate(data.longitude, "longitude", 180)
    membership = acting or intake_membership(by, data.center_code)
    if status is None:
        by_agent = channel == Channel.PHONE and membership.role == Role.AGENT
        status = Status.PENDING_DISPATCH if by_agent else Status.REGISTERED
    center = membership.unit
    if region is not None and not center.region.covers(region):
        raise InvalidInput(
            f"「{region.name}」不在「{center.name}」的辖区内",
            "region is outside the registering center's region",
            field="region",
        )
    now = at or timezone.now()
    region = region or center.region
    ticket = fastinsert.instance(
        Ticket,
        {
            "number": "",
            "channel": channel,
            "external_ref": ref,
            "status": status,
            "citizen_name": citizen_name,
            "citizen_phone": phone,
            "anonymous": bool(data.anonymous),
            "confidential": bool(data.confidential),
            "appeal_type": appeal_type,
            "category_id": category.pk if category is not None else None,
            "title": title,
            "content": content,
            "region_id": region.pk,
            "address": address,
            "latitude": latitude,
            "longitude": longitude,
            "urgency": urgency,
            "center_id": center.pk,
            "registered_by_id": by.pk,
            "created_at": now,
            "updated_at": now,
            "last_event_hash": GENESIS,
        },
        {"category": category, "region": region, "center": center, "registered_by": by},
    )
    return ticket, membership
