"""CTI intake: store each event once, then re-derive every call it touches from all its events.

One request is one transaction. The calls of the batch are locked (in a fixed order, so two
requests never deadlock on them) before their events are inserted, so a concurrent request
for the same call waits and then derives from everything committed before it: the last
writer always sees every event, whatever the order in which they arrived.

`store` is the part shared with the CDR import (cdr.py): the import passes `live=False`, so
that a call of last month neither moves an agent signed in today, nor opens a 回拨 item, nor
flickers on a wallboard, and a `HistoricalResolver` that names the agent who sat at the seat
at the time of the call.

Citizens' numbers (issue 18): an event is stored without its `caller` and `called`; they go
to the call's SM4-encrypted columns, set by the first events that carry them and kept after
(a platform repeats the same numbers on every event of a call). So a number is encrypted once
per call, a stored event needs no decryption to be re-derived, and a key rotation has only
columns to re-encrypt, never JSON.
"""

import bisect
import datetime as dt
import functools
import json
import operator
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import DateTimeField, JSONField
from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.crypto import EncryptedTextField, PhoneHashField
from hotline.orgs.models import Unit

from . import agents, callbacks, conf, dialing, push, rollup
from .cti import PlatformChanged, replayed
from .derive import Ev, derive
from .models import (
    AgentSession,
    Call,
    CallEvent,
    CallPlatform,
    CallQueue,
    Seat,
    SeenSignature,
)
from .schemas import EventIn
from .sql import bare, bound_cursor

# The fields derivation owns; anything else on Call (acw_seconds, links) is left alone.
DERIVED_FIELDS = [
    "direction",
    "state",
    "outcome",
    "caller",
    "called",
    "trunk",
    "queue",
    "ivr",
    "center",
    "agent",
    "seat",
    "offered_at",
    "ringing_at",
    "answered_at",
    "ended_at",
    "day",
    "hour",
    "wait_seconds",
    "talk_seconds",
    "hold_seconds",
    "recording",
    "cause",
    "transfer_kind",
    "transfer_target",
    "is_error",
    "error_reason",
    "event_count",
]


def _attr(name: str) -> str:
    return f"{name}_id" if name in ("queue", "center", "agent", "seat") else name


DERIVED_ATTRS = [(name, _attr(name)) for name in DERIVED_FIELDS]
NUMBER_KEYS = ("caller", "called")
# What derivation compares before and after; the numbers are only ever set once (`_apply`).
PLAIN_ATTRS = [(name, attr) for name, attr in DERIVED_ATTRS if name not in NUMBER_KEYS]
_PLAIN_NAMES = [name for name, _ in PLAIN_ATTRS]
# Read in one C call: a request compares ~100 calls' 25 fields before and after derivation.
_plain_values = operator.attrgetter(*(attr for _, attr in PLAIN_ATTRS))

PURGE_EVERY_SECONDS = 5

ERROR_TEXT = {
    "unknown_agent": ("座席号不存在", "unknown agent seat"),
    "unknown_queue": ("队列编码不存在", "unknown queue"),
}


@dataclass
class Resolver:
    """Seat and queue codes of one platform's center tree, looked up once per batch."""

    platform: CallPlatform
    seats: dict = field(default_factory=dict)
    queues: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)

    def load(self, seat_codes: set[str], queue_codes: set[str]) -> None:
        path = self.platform.center.path
        seat_codes -= self.seats.keys()
        queue_codes -= self.queues.keys()
        if (seat_codes or queue_codes) and connection.vendor == "postgresql":
            self._load_pg(path, seat_codes, queue_codes)
            return
        if seat_codes:
            found = defaultdict(list)
            for seat in Seat.objects.filter(
                code__in=seat_codes, center__path__startswith=path, is_active=True
            ).only("id", "code", "center_id"):
                found[seat.code].append(seat)
            # A code that names two seats in the tree is as unusable as an unknown one.
            for code in seat_codes:
                self.seats[code] = found[code][0] if len(found[code]) == 1 else None
            seat_ids = [s.pk for s in self.seats.values() if s is not None]
            # Only who sits there: agents.on_calls_changed locks and reads the sessions it moves.
            open_sessions = AgentSession.objects.filter(seat_id__in=seat_ids, ended_at=None)
            for session in open_sessions.only("id", "user_id", "seat_id"):
                self.sessions[session.seat_id] = session
        if queue_codes:
            found = defaultdict(list)
            for queue in CallQueue.objects.filter(
                code__in=queue_codes, center__path__startswith=path
            ).only("id", "code", "center_id"):
                found[queue.code].append(queue)
            for code in queue_codes:
                self.queues[code] = found[code][0] if len(found[code]) == 1 else None

    def _load_pg(self, path: str, seat_codes: set[str], queue_codes: set[str]) -> None:
        # The same look-ups as below in one fixed statement (one text, see sql.py),
        # read into bare instances of the three columns each.
        seats, queues, db = defaultdict(list), defaultdict(list), connection.alias
        with bound_cursor() as cursor:
            cursor.execute(_RESOLVE_SQL, [list(seat_codes), path, list(queue_codes), path])
            for kind, code, pk, center_id, session_id, user_id in cursor.fetchall():
                if kind == "s":
                    seat = bare(Seat, db, id=pk, code=code, center_id=center_id)
                    seat._session = (
                        bare(AgentSession, db, id=session_id, user_id=user_id, seat_id=pk)
                        if session_id is not None
                        else None
                    )
                    seats[code].append(seat)
                else:
                    queues[code].append(bare(CallQueue, db, id=pk, code=code, center_id=center_id))
        for code in seat_codes:
            # A code that names two seats in the tree is as unusable as an unknown one.
            seat = seats[code][0] if len(seats[code]) == 1 else None
            self.seats[code] = seat
            if seat is not None and seat._session is not None:
                self.sessions[seat.pk] = seat._session
        for code in queue_codes:
            self.queues[code] = queues[code][0] if len(queues[code]) == 1 else None

    def agent_for(self, seat: Seat | None, at: dt.datetime) -> int | None:
        """The user on `seat` for a call reaching it now: the seat's open session."""
        session = self.sessions.get(seat.pk) if seat else None
        return session.user_id if session else None

    def event_error(self, ev: EventIn) -> str:
        if ev.agent and self.seats.get(ev.agent) is None:
            return "unknown_agent"
        if ev.queue and self.queues.get(ev.queue) is None:
            return "unknown_queue"
        target = ev.transfer_to
        if target and target.kind == "agent" and self.seats.get(target.target) is None:
            return "unknown_agent"
        if target and target.kind == "queue" and self.queues.get(target.target) is None:
            return "unknown_queue"
        return ""


_RESOLVE_SQL = (
    f"SELECT 's', s.code, s.id, s.center_id, a.id, a.user_id FROM {Seat._meta.db_table} s "
    f"JOIN {Unit._meta.db_table} u ON u.id = s.center_id "
    f"LEFT JOIN {AgentSession._meta.db_table} a ON a.seat_id = s.id AND a.ended_at IS NULL "
    "WHERE s.code = ANY(%b::text[]) AND s.is_active AND starts_with(u.path, %s) "
    f"UNION ALL SELECT 'q', q.code, q.id, q.center_id, NULL, NULL FROM {CallQueue._meta.db_table} q "
    f"JOIN {Unit._meta.db_table} u ON u.id = q.center_id "
    "WHERE q.code = ANY(%b::text[]) AND starts_with(u.path, %s)"
)


class HistoricalResolver(Resolver):
    """For imported calls: the agent is whoever was signed in to the seat at the call's time
    (from the sessions' sign-in and sign-out), not whoever sits there today."""

    def __init__(self, platform: CallPlatform):
        super().__init__(platform)
        self._spans: dict[int, tuple[list, list]] = {}

    def agent_for(self, seat: Seat | None, at: dt.datetime) -> int | None:
        if seat is None:
            return None
        if seat.pk not in self._spans:
            rows = AgentSession.objects.filter(seat=seat).order_by("started_at")
            spans = list(rows.values_list("started_at", "ended_at", "user_id"))
            self._spans[seat.pk] = ([s[0] for s in spans], spans)
        starts, spans = self._spans[seat.pk]
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0 and (spans[i][1] is None or spans[i][1] > at):
            return spans[i][2]
        return None


def ingest(
    *,
    platform: CallPlatform,
    events: list[EventIn],
    raw: list[dict],
    signature: str,
    confirm: bool = False,
):
    """Store the new events of one signed request and re-derive their calls; returns the
    response body {accepted, duplicates, errors}. With `confirm` (`platform` is a kept copy,
    cti.py), raises PlatformChanged instead of storing anything if its row differs."""
    now = timezone.now()
    with transaction.atomic():
        # The replay check is this insert: no savepoint, no look-up before it. It inserts only
        # while the platform's row is still the one the request was checked against (active,
        # same secret and center): that is what lets a worker keep its copy of the platform.
        with bound_cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {SeenSignature._meta.db_table} (platform_id, signature, at) "
                f"SELECT p.id, %s, %s FROM {CallPlatform._meta.db_table} p "
                "WHERE p.id = %s AND p.is_active AND p.secret = %s AND p.center_id = %s "
                "ON CONFLICT (platform_id, signature) DO NOTHING",
                [signature, now, platform.pk, platform.secret, platform.center_id],
            )
            if cursor.rowcount != 1:
                # A replay, or a copy out of date: which one, the row says (a rare path).
                raise PlatformChanged() if confirm else replayed()
        result = store(platform=platform, events=events, raw=raw, now=now)
        _purge_signatures(now)
    return result


def store(
    *,
    platform: CallPlatform,
    events: list[EventIn],
    raw: list[dict],
    now=None,
    resolver: Resolver | None = None,
    live: bool = True,
) -> dict:
    """Insert the events not stored yet and re-derive their calls, in the caller's
    transaction; returns {accepted, duplicates, errors}."""
    now = now or timezone.now()
    resolver = resolver or Resolver(platform)
    codes = _codes(events)
    resolver.load(*codes)
    # On PostgreSQL the events' insert says which were new (RETURNING); SQLite looks first.
    known = set() if connection.vendor == "postgresql" else _known(platform, events)
    candidates, seen = [], set()
    for ev, body in zip(events, raw, strict=True):
        if ev.event_id in known or ev.event_id in seen:
            continue
        seen.add(ev.event_id)
        body = {k: v for k, v in body.items() if k not in NUMBER_KEYS}
        candidates.append((ev, body, resolver.event_error(ev)))
    calls = _lock_calls(platform, events, _firsts(candidates, resolver), resolver)
    rows = []
    for ev, body, error in candidates:
        message = ERROR_TEXT[error][0] if error else ""
        call_pk = calls[ev.call_id].pk
        at = ev.at.astimezone(dt.UTC)
        rows.append((ev.event_id, ev.call_id, call_pk, ev.type, at, body, error, message))
    stored = _insert_events(platform, rows, now)
    fresh, errors = [], []
    numbers: dict[int, Numbers] = {}
    for (ev, _, error), row in zip(candidates, rows, strict=True):
        if ev.event_id not in stored:
            continue
        fresh.append(row)
        if ev.caller or ev.called:
            numbers.setdefault(calls[ev.call_id].pk, Numbers()).offer(ev)
        if error:
            zh, en = ERROR_TEXT[error]
            errors.append(
                {"event_id": ev.event_id, "code": error, "message_zh": zh, "message_en": en}
            )
    duplicates = len(events) - len(fresh)
    touched = {calls[e[1]].pk: calls[e[1]] for e in fresh}
    for call in calls.values():
        whole = getattr(call, "_whole", None)
        if whole is not None and not whole.event_ids <= stored:
            # An event the row was derived from was not stored (its id taken already, by
            # another call): the row is derived again from what was, and written whole.
            call._whole, call._rewrite = None, True
            touched.setdefault(call.pk, call)
    rederive(list(touched.values()), resolver=resolver, live=live, numbers=numbers)
    return {"accepted": len(fresh), "duplicates": duplicates, "errors": errors}


EVENT_COLUMNS = ["event_id", "platform_call_id", "call_id", "type", "at", "payload", "error"]
EVENT_COLUMNS += ["error_message"]


def _known(platform: CallPlatform, events: list[EventIn]) -> set[str]:
    rows = CallEvent.objects.filter(platform=platform, event_id__in=[e.event_id for e in events])
    return set(rows.values_list("event_id", flat=True))


def _insert_events(platform: CallPlatform, rows: list[tuple], now) -> set[str]:
    """Insert the new events (tuples in EVENT_COLUMNS order) and return the ids of those
    stored now; one already stored (sent before) is left as it is. On PostgreSQL one
    INSERT … SELECT FROM unnest(arrays) … RETURNING, its arrays sent in binary (server-side
    binding: no Django model instances, no value quoted in Python; psycopg's text format
    escaped every element of a text array with a regular expression)."""
    if not rows:
        return set()
    if connection.vendor != "postgresql":
        CallEvent.objects.bulk_create(
            [
                CallEvent(
                    platform=platform, received_at=now, **dict(zip(EVENT_COLUMNS, r, strict=True))
                )
                for r in rows
            ],
            ignore_conflicts=True,
        )
        return {r[0] for r in rows}
    columns = list(zip(*rows, strict=True))
    columns[5] = [json.dumps(p, ensure_ascii=False) for p in columns[5]]
    with bound_cursor() as cursor:
        cursor.execute(_INSERT_EVENTS, [platform.pk, now, *(list(c) for c in columns)])
        return {r[0] for r in cursor.fetchall()}


_EVENT_TYPES = ["text", "text", "int8", "text", "timestamptz", "text", "text", "text"]
_INSERT_EVENTS = (
    f"INSERT INTO {CallEvent._meta.db_table} (platform_id, received_at, "
    f"{', '.join(EVENT_COLUMNS)}) "
    "SELECT %s, %s, e.event_id, e.platform_call_id, e.call_id, e.type, e.at, "
    "e.payload::jsonb, e.error, e.error_message "
    f"FROM unnest({', '.join(f'%b::{t}[]' for t in _EVENT_TYPES)}) "
    f"AS e({', '.join(EVENT_COLUMNS)}) "
    "ON CONFLICT (platform_id, event_id) DO NOTHING RETURNING event_id"
)


def _codes(events: list[EventIn]) -> tuple[set[str], set[str]]:
    seats, queues = set(), set()
    for ev in events:
        if ev.agent:
            seats.add(ev.agent)
        if ev.queue:
            queues.add(ev.queue)
        if ev.transfer_to and ev.transfer_to.kind == "agent":
            seats.add(ev.transfer_to.target)
        if ev.transfer_to and ev.transfer_to.kind == "queue":
            queues.add(ev.transfer_to.target)
    return seats, queues


# The event types that start a call: a request carrying one is almost always a call's first.
_STARTS = ("offered", "outbound")
# The payload keys that are an event's columns: derivation reads the rest (as `_events_of`).
_COLUMN_KEYS = frozenset(("event_id", "call_id", "type", "at", *NUMBER_KEYS))


@dataclass
class Whole:
    """A call inserted whole by this request: what its row was derived from and holds."""

    derived: object  # derive.Derived
    events: list
    event_ids: set
    values: tuple  # _plain_values of the row
    numbers: dict  # the numbers the row was given, clear text


def _firsts(candidates: list[tuple], resolver: Resolver) -> dict[str, tuple]:
    """call id -> (its events as derivation reads them, its Numbers or None) for each call
    that the request's new events start: those are inserted with their fields derived."""
    starts = {ev.call_id for ev, _, _ in candidates if ev.type in _STARTS}
    found: dict[str, tuple] = {}
    for ev, body, _ in candidates:
        if ev.call_id not in starts:
            continue
        evs, numbers = found.setdefault(ev.call_id, ([], []))
        data = {k: v for k, v in body.items() if k not in _COLUMN_KEYS}
        evs.append(Ev(ev.event_id, ev.type, ev.at.astimezone(dt.UTC), data))
        if ev.caller or ev.called:
            numbers.append(ev)
    out = {}
    for call_id, (evs, offers) in found.items():
        numbers = None
        if offers:
            numbers = Numbers()
            for ev in offers:
                numbers.offer(ev)
        out[call_id] = (evs, numbers)
    return out


def _lock_calls(
    platform: CallPlatform, events: list[EventIn], firsts: dict, resolver: Resolver
) -> dict[str, Call]:
    """The batch's calls, locked in call-id order; a call not stored yet is inserted then:
    whole (its fields derived from this request's events) when the request starts it
    (`firsts`), else as a placeholder that derivation fills in a few statements later.

    Why whole: a placeholder and then its update wrote every index of calls_call twice for
    the call's first event (docs/benchmarks.md). Why the lock first: only the calls not found
    are built and sent (a resent stream builds none). A call inserted now is returned as the
    placeholder (`_placeholder`: what derivation compares with, so the consequences of its
    first events, agent state, 回拨, live pages, rollup, are drawn as before), with `_whole`
    saying what its row holds already, so that derivation writes nothing more."""
    first_at: dict[str, dt.datetime] = {}
    for ev in events:
        at = ev.at.astimezone(dt.UTC)
        if ev.call_id not in first_at or at < first_at[ev.call_id]:
            first_at[ev.call_id] = at
    ids = sorted(first_at)
    short = conf.short_abandon_seconds() if firsts else 0

    def new_call(call_id: str) -> tuple[Call, Call]:
        return _new_call(platform, call_id, first_at[call_id], firsts.get(call_id), resolver, short)

    if connection.vendor == "postgresql":
        return _lock_calls_pg(platform, ids, new_call)
    existing = set(
        Call.objects.filter(platform=platform, platform_call_id__in=ids).values_list(
            "platform_call_id", flat=True
        )
    )
    new = {i: new_call(i) for i in ids if i not in existing}
    if new:
        names = [
            f.attname for f in _call_fields() if f.attname not in ("caller_hash", "updated_at")
        ]
        rows = [Call(**{n: row.__dict__[n] for n in names}) for _, row in new.values()]
        Call.objects.bulk_create(rows, ignore_conflicts=True)
    locked = (
        Call.objects.select_for_update()
        .filter(platform=platform, platform_call_id__in=ids)
        .order_by("platform_call_id")
    )
    out = {}
    for call in locked:
        base, row = new.get(call.platform_call_id, (None, None))
        # Ours if it holds what was inserted (another writer's would hold its own events).
        if row is not None and _plain_values(call) == _plain_values(row):
            base.pk = call.pk
            call = base
        out[call.platform_call_id] = call
    return out


# What the lock reads of a call: what derivation compares and the rollup counts, not the
# numbers (their ciphertext is read as it is: decrypted only for a call that needs them).
_LOCK_FIELDS = ["id", "platform_call_id"] + [
    a
    for n, a in (*[(n, _attr(n)) for n in DERIVED_FIELDS], ("acw", "acw_seconds"))
    if n not in ("caller", "called")
]


@functools.cache
def _defaults() -> dict:
    """A placeholder's values of the fields the lock reads, by attname (`ivr` made anew)."""
    skip = {"id", "platform_call_id", "center_id", "offered_at", "day", "hour", "ivr"}
    return {
        f.attname: f.get_default()
        for f in map(Call._meta.get_field, _LOCK_FIELDS[2:])
        if f.attname not in skip
    }


def _placeholder(platform: CallPlatform, call_id: str, first_at: dt.datetime) -> Call:
    """A new call as it is before derivation: as the lock would read a placeholder row."""
    local = to_local(first_at)
    call = bare(
        Call,
        connection.alias,
        **_defaults(),
        ivr=[],
        platform_id=platform.pk,
        platform_call_id=call_id,
        center_id=platform.center_id,
        offered_at=first_at,
        day=local.date(),
        hour=local.hour,
        caller="",
        called="",
    )
    call._stored_numbers = ("", "")
    return call


def _new_call(platform, call_id, first_at, first, resolver, short) -> tuple[Call, Call]:
    """(the placeholder, the row to insert): the row derived from `first` (events, numbers)
    when the request starts the call, else the placeholder itself."""
    base = _placeholder(platform, call_id, first_at)
    if first is None:
        return base, base
    evs, numbers = first
    row = bare(Call, connection.alias, **{k: v for k, v in base.__dict__.items() if k[0] != "_"})
    row.ivr, row._stored_numbers = [], base._stored_numbers
    d = derive(evs, short_abandon_seconds=short)
    set_now = _apply(row, d, resolver, numbers)
    base._whole = Whole(
        d, evs, {e.event_id for e in evs}, _plain_values(row), {n: row.__dict__[n] for n in set_now}
    )
    return base, row


@functools.cache
def _call_fields() -> list:
    return [f for f in Call._meta.concrete_fields if not f.primary_key]


@functools.cache
def _insert_calls_sql() -> str:
    """New calls' rows, one array per column (one text whatever the batch, see sql.py); a
    call inserted meanwhile by another request is skipped (and locked after). Text columns go as
    text[]: the insert's assignment refuses a value too long, where a cast would cut it."""
    qn = connection.ops.quote_name
    columns, arrays, picks = [], [], []
    for f in _call_fields():
        kind = f.db_type(connection)
        if kind.startswith("varchar") or kind == "jsonb":
            kind = "text"
        columns.append(qn(f.column))
        arrays.append(f"%b::{kind}[]")
        picks.append(
            f"n.{qn(f.column)}::jsonb" if isinstance(f, JSONField) else f"n.{qn(f.column)}"
        )
    return (
        f"INSERT INTO {Call._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(picks)} FROM unnest({', '.join(arrays)}) AS n({', '.join(columns)}) "
        "ON CONFLICT (platform_id, platform_call_id) DO NOTHING RETURNING id, platform_call_id"
    )


def _row_columns(rows: list[Call]) -> list[list]:
    """The rows' values for `_insert_calls_sql`, column by column, stored as save() would."""
    columns, now = [], timezone.now()
    for f in _call_fields():
        if f.attname == "updated_at":
            values = [now] * len(rows)
        elif isinstance(f, EncryptedTextField):
            values = [f.get_db_prep_save(r.__dict__[f.attname], connection) for r in rows]
        elif isinstance(f, PhoneHashField):
            values = [f.pre_save(r, True) for r in rows]
        elif isinstance(f, JSONField):
            values = [json.dumps(r.__dict__[f.attname], ensure_ascii=False) for r in rows]
        else:
            values = [r.__dict__[f.attname] for r in rows]
        columns.append(values)
    return columns


_LOCK_SQL = (
    f"SELECT {', '.join(_LOCK_FIELDS)}, caller, called FROM {Call._meta.db_table} "
    "WHERE platform_id = %s AND platform_call_id = ANY(%b::text[]) "
    "ORDER BY platform_call_id FOR UPDATE"
)


def _lock_calls_pg(platform: CallPlatform, ids: list[str], new_call) -> dict[str, Call]:
    """Fixed statements (one text each, see sql.py): the lock of the calls stored, read in
    binary into bare Call instances (no Django query, converters or __init__; the numbers'
    ciphertext kept aside, `_stored_numbers`), then the insert of the others (`new_call`),
    whose rows their insert locks."""
    with bound_cursor() as cursor:
        locked = _locked(cursor, platform, ids)
        missing = [i for i in ids if i not in locked]
        if not missing:
            return locked
        new = {i: new_call(i) for i in missing}
        cursor.execute(_insert_calls_sql(), _row_columns([new[i][1] for i in missing]))
        for pk, call_id in cursor.fetchall():
            base = new[call_id][0]
            base.pk = pk
            locked[call_id] = base
        late = [i for i in missing if i not in locked]
        if late:
            # Inserted by another request between the two statements: the insert waited for
            # it to commit. Locked now, after the others: a third request holding one of
            # these and waiting for a call of ours would be a deadlock (PostgreSQL ends one).
            locked.update(_locked(cursor, platform, late))
    return locked


def _locked(cursor, platform: CallPlatform, ids: list[str]) -> dict[str, Call]:
    cursor.execute(_LOCK_SQL, [platform.pk, ids], binary=True)
    locked, db = {}, connection.alias
    for row in cursor.fetchall():
        values = dict(zip(_LOCK_FIELDS, row[:-2], strict=True))
        call = bare(Call, db, platform_id=platform.pk, **values)
        call._stored_numbers = row[-2:]
        locked[call.platform_call_id] = call
    return locked


def _has_number(call: Call, name: str) -> bool:
    """Whether the call has `name` (caller/called) stored, without decrypting it."""
    if name in call.__dict__:
        return bool(call.__dict__[name])
    return bool(call._stored_numbers[NUMBER_KEYS.index(name)])


def _decrypt_numbers(call: Call) -> None:
    """Give a call locked without its numbers (`_lock_calls_pg`) their clear text: for the
    calls whose screen pop or 回拨 uses them."""
    for name, stored in zip(NUMBER_KEYS, getattr(call, "_stored_numbers", ()), strict=False):
        if name not in call.__dict__:
            call.__dict__[name] = Call._meta.get_field(name).decrypt_value(stored) if stored else ""


def rederive(
    calls: list[Call],
    *,
    resolver: Resolver,
    live: bool = True,
    numbers: dict[int, "Numbers"] | None = None,
) -> list[Call]:
    """Re-derive `calls` (locked by the caller) from all their events and the `numbers` the
    new ones brought (by call id), save what changed and, when `live`, carry the
    consequences (agent state, 回拨, dial requests, live pages)."""
    numbers = numbers or {}
    if not calls:
        return []
    by_call = defaultdict(list)
    # A call inserted whole by this request has no events but the ones it was derived from.
    read = [c.pk for c in calls if getattr(c, "_whole", None) is None]
    for call_id, event_id, type_, at, payload in _events_of(read) if read else ():
        by_call[call_id].append(Ev(event_id, type_, at, payload))
    seat_codes, queue_codes = set(), set()
    for evs in by_call.values():
        for ev in evs:
            if ev.data.get("agent"):
                seat_codes.add(ev.data["agent"])
            if ev.data.get("queue"):
                queue_codes.add(ev.data["queue"])
    resolver.load(seat_codes, queue_codes)
    short = conf.short_abandon_seconds()
    changed = []
    saves = defaultdict(list)  # the calls by the fields that changed: one statement each
    deltas = rollup.Deltas()
    for call in calls:
        old = _plain_values(call)
        before = dict(zip(_PLAIN_NAMES, old, strict=True))
        figures_before = rollup.snapshot(call)
        whole = getattr(call, "_whole", None)
        if whole is not None:
            d = whole.derived
        else:
            d = derive(by_call.get(call.pk, []), short_abandon_seconds=short)
        new_numbers = _apply(call, d, resolver, numbers.get(call.pk))
        now = _plain_values(call)
        moved = {n for n, a, b in zip(_PLAIN_NAMES, old, now, strict=True) if a != b}
        diff = [name for name in DERIVED_FIELDS if name in moved or name in new_numbers]
        # A row inserted whole holds all this already (the same events, the same resolver);
        # one whose events were not all stored (`store`) is written whole again.
        rewrite = getattr(call, "_rewrite", False) or (
            whole is not None
            and (whole.values != now or whole.numbers != {n: getattr(call, n) for n in new_numbers})
        )
        if rewrite:
            saves[tuple(DERIVED_FIELDS)].append(call)
        elif diff and whole is None:
            saves[tuple(diff)].append(call)
        if diff:
            changed.append((call, before, d, new_numbers))
            deltas.change(figures_before, rollup.snapshot(call))
    for fields, group in saves.items():
        _save(group, list(fields))
    if live:
        board = push.Board()
        agents.on_calls_changed(
            [(c, before, resolver.sessions.get(c.seat_id)) for c, before, _, _ in changed],
            deltas=deltas,
            board=board,
        )
        for call, before, d, new_numbers in changed:
            # The numbers are decrypted only for the calls that use them: a 回拨 that may
            # open or close (the outcome moved, or the caller just became known), a pop.
            if before["outcome"] != call.outcome or "caller" in new_numbers:
                _decrypt_numbers(call)
                before["caller"] = "" if "caller" in new_numbers else call.caller
                callbacks.on_call_changed(call, before)
            if d.request_id:
                dialing.on_call_changed(call, d.request_id)
            if push.pops(call, before):
                _decrypt_numbers(call)
            board.call(call, before)
        board.flush()
    # Last: the current hour's row is the one every request touches; held only to the commit.
    deltas.flush()
    return [c for c, _, _, _ in changed]


def _events_of(call_ids: list[int]) -> list[tuple]:
    """(call id, event id, type, at, payload) of every event of the calls.

    Several hundred rows a request: on PostgreSQL read in binary, where psycopg's C loaders
    make the times and the JSON (Django's connection reads both as text and converts each
    value in Python: a sixth of a request's CPU, bench/bench_cti.py)."""
    if connection.vendor != "postgresql":
        rows = CallEvent.objects.filter(call_id__in=call_ids)
        return list(rows.values_list("call_id", "event_id", "type", "at", "payload"))
    with bound_cursor() as cursor:
        # The payload without the keys that are columns already: JSON decoding is most of
        # what reading the events costs, and derivation never reads those keys.
        cursor.execute(
            "SELECT call_id, event_id, type, at, payload - '{event_id,call_id,type,at}'::text[] "
            f"FROM {CallEvent._meta.db_table} WHERE call_id = ANY(%s)",
            [call_ids],
            binary=True,
        )
        return cursor.fetchall()


def _save(calls: list[Call], names: list[str]) -> None:
    """Write the fields `names` of `calls` (the same ones changed on each): one UPDATE per
    call, sent in one batch (psycopg pipelines an executemany). Django's bulk_update builds a
    CASE per field and row: with a batch of ~100 calls that took most of a request's time
    (bench/bench_cti.py); and a ringing or held event moves a handful of the 27 fields, so
    only those are sent."""
    now = timezone.now()
    fields = [Call._meta.get_field(name) for name in names] + [Call._meta.get_field("updated_at")]
    if "caller" in names:
        fields.append(Call._meta.get_field("caller_hash"))
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = f"UPDATE {connection.ops.quote_name(Call._meta.db_table)} SET {sets} WHERE id = %s"
    # Only JSON (and, on SQLite, the times Django stores as naive UTC text) needs Django's
    # preparation; psycopg adapts the rest as is, at a fraction of the cost.
    # The numbers are encrypted (and the caller hashed) here, when they change: once a call.
    prepared = (JSONField, EncryptedTextField)
    if connection.vendor != "postgresql":
        prepared += (DateTimeField,)
    plain = [not isinstance(f, (*prepared, PhoneHashField)) for f in fields]
    rows = []
    for call in calls:
        call.updated_at = now
        rows.append(
            [
                getattr(call, f.attname)
                if p
                else f.pre_save(call, False)
                if isinstance(f, PhoneHashField)
                else f.get_db_prep_save(getattr(call, f.attname), connection)
                for f, p in zip(fields, plain, strict=True)
            ]
            + [call.pk]
        )
    with bound_cursor() as cursor:
        cursor.executemany(sql, rows)


@dataclass
class Numbers:
    """A call's numbers as its new events bring them: each from the earliest event (in the
    derivation's order) that carries it."""

    caller: str = ""
    called: str = ""
    _from: dict = field(default_factory=dict)

    def offer(self, ev: EventIn) -> None:
        key = Ev(ev.event_id, ev.type, ev.at).sort_key()
        for name in NUMBER_KEYS:
            value = getattr(ev, name)
            if value and (name not in self._from or key < self._from[name]):
                setattr(self, name, value)
                self._from[name] = key


def _apply(call: Call, d, resolver: Resolver, numbers: Numbers | None) -> list[str]:
    """Set the call's derived fields from `d`; returns the numbers set now (each only once:
    the events stored keep no numbers, so a later request cannot re-derive them)."""
    seat = resolver.seats.get(d.agent_code) if d.agent_code else None
    queue = resolver.queues.get(d.queue_code) if d.queue_code else None
    problems = []
    if d.agent_code and seat is None:
        problems.append(f"座席号 {d.agent_code} 不存在")
    if d.queue_code and queue is None:
        problems.append(f"队列 {d.queue_code} 不存在")
    for name in ("direction", "state", "outcome", "trunk", "ivr"):
        setattr(call, name, getattr(d, name))
    new_numbers = []
    for name in NUMBER_KEYS if numbers is not None else ():
        value = getattr(numbers, name)
        if value and not _has_number(call, name):
            setattr(call, name, value)
            new_numbers.append(name)
    for name in ("offered_at", "ringing_at", "answered_at", "ended_at", "wait_seconds"):
        setattr(call, name, getattr(d, name))
    for name in ("talk_seconds", "hold_seconds", "recording", "cause", "event_count"):
        setattr(call, name, getattr(d, name))
    call.transfer_kind, call.transfer_target = d.transfer_kind, d.transfer_target
    if seat is None or seat.pk != call.seat_id:
        # The agent is whoever was signed in to the seat when the call first reached it;
        # kept afterwards, so a later sign-out does not rewrite the call.
        call.agent_id = resolver.agent_for(seat, d.answered_at or d.ringing_at or d.offered_at)
    call.seat_id = seat.pk if seat else None
    call.queue_id = queue.pk if queue else None
    if queue is not None:
        call.center_id = queue.center_id
    elif seat is not None:
        call.center_id = seat.center_id
    else:
        call.center_id = resolver.platform.center_id
    local = to_local(d.offered_at)
    call.day, call.hour = local.date(), local.hour
    call.is_error = bool(problems)
    call.error_reason = "；".join(problems)[:200]
    return new_numbers


_purged_at: list = [None]  # per process: when this worker last purged


def _purge_signatures(now) -> None:
    # Past the freshness window a replay is refused as stale anyway; the rows can go.
    # Deleting a few hundred every few seconds (per worker) keeps the table small without a
    # separate job and without a statement in every request.
    last = _purged_at[0]
    if last is not None and abs((now - last).total_seconds()) < PURGE_EVERY_SECONDS:
        return
    _purged_at[0] = now
    cutoff = now - dt.timedelta(seconds=3 * 300)
    stale = list(SeenSignature.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:2000])
    if stale:
        SeenSignature.objects.filter(pk__in=stale).delete()
