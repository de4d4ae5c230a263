"""The call figures' rollup: sums per center, local day and hour, and per agent and day.

Every change of a call's figures moves the rollup in the same transaction: `rederive` (events)
knows each call's fields before and after, `agents` writes the after-call work, the CDR import
goes through `events.store`. A call adds its contribution (a vector of the measures below) to
its (center, day, hour) and (agent, center, day) rows; a change adds after − before, so a call
that moves to another hour (an earlier event arrived late) leaves the first and joins the
second. Deltas of a batch are summed per row and written by one upsert per table at the end of
the transaction, rows in key order (two requests never deadlock on them, and the hot row of
the current hour is held only for the last statements).

`rebuild` recomputes the rows from the calls (a change of T, a repair) under a table lock.
"""

import datetime as dt
import operator
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import conf
from .models import AgentDayFigures, Call, CenterHourFigures, FiguresState
from .sql import bound_cursor

MEASURES = [
    "offered",
    "answered",
    "within_t",
    "short_abandons",
    "abandoned",
    "voicemail",
    "wait_total",
    "handle_total",
    "acw_total",
]
ZERO = (0,) * len(MEASURES)
# The fields of a call its contribution depends on.
FIELDS = [
    "direction",
    "event_count",
    "center_id",
    "agent_id",
    "day",
    "hour",
    "answered_at",
    "wait_seconds",
    "outcome",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
]


def measures(t: int) -> dict:
    """The measures as SQL aggregates over inbound calls (the same sums as `contribution`)."""
    answered = Q(answered_at__isnull=False)
    return dict(
        offered=Count("id"),
        answered=Count("id", filter=answered),
        within_t=Count("id", filter=answered & Q(wait_seconds__lte=t)),
        short_abandons=Count("id", filter=Q(outcome="short_abandon")),
        abandoned=Count("id", filter=Q(outcome="abandoned")),
        voicemail=Count("id", filter=Q(outcome="voicemail")),
        wait_total=Coalesce(Sum("wait_seconds", filter=answered), 0),
        handle_total=Coalesce(
            Sum(F("talk_seconds") + F("hold_seconds") + F("acw_seconds"), filter=answered), 0
        ),
        acw_total=Coalesce(Sum("acw_seconds", filter=answered), 0),
    )


def counted(calls):
    """The calls the figures count: inbound, and derived from at least one event (a row
    created for a batch whose events all turned out to be someone else's is no call)."""
    return calls.filter(direction="inbound", event_count__gt=0)


_field_values = operator.attrgetter(*FIELDS)  # one C call: twice per changed call of a request


def snapshot(call: Call) -> dict:
    """The fields of `call` its contribution depends on, as they are now."""
    return dict(zip(FIELDS, _field_values(call), strict=True))


def contribution(f: dict, t: int) -> tuple:
    """What one call adds to its rows (ZERO when it is not counted)."""
    if f["direction"] != "inbound" or not f["event_count"]:
        return ZERO
    answered = f["answered_at"] is not None
    wait = f["wait_seconds"]
    outcome = f["outcome"]
    return (
        1,
        int(answered),
        int(answered and wait is not None and wait <= t),
        int(outcome == "short_abandon"),
        int(outcome == "abandoned"),
        int(outcome == "voicemail"),
        (wait or 0) if answered else 0,
        f["talk_seconds"] + f["hold_seconds"] + f["acw_seconds"] if answered else 0,
        f["acw_seconds"] if answered else 0,
    )


class Deltas:
    """The rollup changes of one transaction, summed per row until `flush`."""

    def __init__(self):
        self.t = conf.service_level_seconds()
        self.hours: dict = defaultdict(lambda: [0] * len(MEASURES))
        self.agents: dict = defaultdict(lambda: [0] * len(MEASURES))

    def _add(self, f: dict, sign: int) -> None:
        c = contribution(f, self.t)
        if c is ZERO:
            return
        rows = [self.hours[(f["center_id"], f["day"], f["hour"])]]
        if f["agent_id"] is not None:
            rows.append(self.agents[(f["agent_id"], f["center_id"], f["day"])])
        for row in rows:
            for i, v in enumerate(c):
                row[i] += sign * v

    def change(self, before: dict, after: dict) -> None:
        """A call went from `before` to `after` (snapshots)."""
        self._add(before, -1)
        self._add(after, 1)

    def flush(self) -> None:
        """Write the summed changes (one upsert per table) and start over."""
        _upsert(CenterHourFigures, ["center_id", "day", "hour"], self.hours)
        _upsert(AgentDayFigures, ["agent_id", "center_id", "day"], self.agents)
        self.hours.clear()
        self.agents.clear()


def _upsert(model, keys: list[str], rows: dict) -> None:
    items = sorted((k, v) for k, v in rows.items() if any(v))
    if not items:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    cols = keys + MEASURES
    lines = [[*key, *values] for key, values in items]
    if connection.vendor == "postgresql":
        # One array a column: the same text whatever the number of rows (sql.py). The arrays
        # keep the key order.
        types = ["date" if c == "day" else "bigint" for c in cols]
        source = f"SELECT * FROM unnest({', '.join(f'%s::{t}[]' for t in types)})"
        params = [list(column) for column in zip(*lines, strict=True)]
    else:
        one = "(" + ", ".join(["%s"] * len(cols)) + ")"
        source = f"VALUES {', '.join([one] * len(lines))}"
        params = [v for line in lines for v in line]
    adds = ", ".join(f"{qn(m)} = {table}.{qn(m)} + EXCLUDED.{qn(m)}" for m in MEASURES)
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in cols)}) {source} "
        f"ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET {adds}"
    )
    with bound_cursor() as cursor:
        cursor.execute(sql, params)


def ready() -> bool:
    """Whether the rollup was counted with this deployment's T (else read the calls)."""
    state = FiguresState.objects.first()
    return state is not None and state.service_level_seconds == conf.service_level_seconds()


def rebuild(*, day_from: dt.date | None = None, day_to: dt.date | None = None) -> dict:
    """Recompute the rollup rows of [day_from, day_to] (all days when not given) from the calls,
    with the current T; returns how many rows each table got."""
    t = conf.service_level_seconds()
    calls = counted(Call.objects.all())
    if day_from is not None:
        calls = calls.filter(day__gte=day_from)
    if day_to is not None:
        calls = calls.filter(day__lte=day_to)
    if (day_from or day_to) and not ready():
        # Part of the rows with another T would leave a mixed table that claims to be whole.
        raise ValueError("T changed: rebuild every day, not a range")
    out = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait (their upserts need the rows) until the rebuilt rows are in; a
            # writer already past its upsert holds them and is waited for.
            for model in (CenterHourFigures, AgentDayFigures):
                with connection.cursor() as cursor:
                    cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
        for model, keys, source in (
            (CenterHourFigures, ["center_id", "day", "hour"], calls),
            (AgentDayFigures, ["agent_id", "center_id", "day"], calls.filter(agent__isnull=False)),
        ):
            old = model.objects.all()
            if day_from is not None:
                old = old.filter(day__gte=day_from)
            if day_to is not None:
                old = old.filter(day__lte=day_to)
            old._raw_delete(old.db)
            grouped = source.values(*keys).annotate(**{f"m_{k}": v for k, v in measures(t).items()})
            sql, params = grouped.order_by().query.sql_with_params()
            qn = connection.ops.quote_name
            cols = ", ".join(qn(c) for c in keys + MEASURES)
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({cols}) {sql}", params)
                out[model.__name__] = cursor.rowcount
        FiguresState.objects.all().delete()
        FiguresState.objects.create(service_level_seconds=t, built_at=timezone.now())
    return out
