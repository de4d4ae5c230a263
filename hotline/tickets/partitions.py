"""Monthly partitions of the ticket history (tickets_ticketevent) on PostgreSQL.

Migration 0008 turns the table into one partitioned by RANGE (created_at), one partition per
local month (Asia/Shanghai: reports count months there), plus a DEFAULT partition that
catches a row no month partition was made for yet (an imported history from long ago), so an
insert never fails for want of a partition. The worker keeps months ready ahead of time
(`maintain`, every hour: `HOTLINE_EVENT_PARTITIONS_AHEAD` months), and detaches months older
than the retention the province sets (`HOTLINE_EVENT_RETENTION_MONTHS`, 0 = keep all) into
the schema `hotline_archive`, where the table stays, readable, until an operator dumps it
(`pg_dump -t hotline_archive.<name>`) and drops it (docs/ha.md).

A ticket's hash chain is never cut in two: a month is detached only when no ticket with an
event in it has an event in a later month (else it waits, and `maintain` says which month is
held by how many tickets). Then `history.verify` knows a ticket with no event left and last
changed before the archive horizon (recorded in the table's comment) as archived, not broken.

SQLite keeps the plain table: every function here does nothing there.
"""

import datetime as dt
import re
import zoneinfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

TABLE = "tickets_ticketevent"
DEFAULT = f"{TABLE}_default"
ARCHIVE_SCHEMA = "hotline_archive"
_NAME = re.compile(rf"^{TABLE}_p(\d{{4}})_(\d{{2}})$")
_HORIZON = re.compile(r"archived_before=(\d{4}-\d{2}-\d{2})")


def _zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_of(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the local month of `moment`."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(_zone()).date()
    return moment.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def name(month: dt.date) -> str:
    return f"{TABLE}_p{month.year:04d}_{month.month:02d}"


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's partition bounds: local midnight of its first day and of the next month's."""
    zone = _zone()
    return (
        dt.datetime.combine(month, dt.time(), zone),
        dt.datetime.combine(add_months(month, 1), dt.time(), zone),
    )


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def months() -> list[dt.date]:
    """The months that have an attached partition, oldest first."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        found = [_NAME.match(n) for (n,) in cursor.fetchall()]
    return sorted(dt.date(int(m[1]), int(m[2]), 1) for m in found if m)


def create(month: dt.date) -> bool:
    """Make the partition of `month` if it is missing; True if it was made.

    Rows of that month already in the DEFAULT partition move into it, in one transaction
    (PostgreSQL refuses a new partition while the default holds rows of its range)."""
    if not is_partitioned() or month in months():
        return False
    low, high = bounds(month)
    part = name(month)
    with transaction.atomic(), connection.cursor() as cursor:
        # A short wait for the parent's lock: the next run tries again rather than queue
        # every registration behind this DDL.
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} "  # noqa: S608
            "WHERE created_at >= %s AND created_at < %s)",
            [low, high],
        )
        if not cursor.fetchone()[0]:
            cursor.execute(
                f"CREATE TABLE {part} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
                [low, high],
            )
            return True
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {DEFAULT}")
        cursor.execute(
            f"CREATE TABLE {part} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
            [low, high],
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} "  # noqa: S608
            "WHERE created_at >= %s AND created_at < %s RETURNING *) "
            f"INSERT INTO {TABLE} SELECT * FROM moved",
            [low, high],
        )
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {DEFAULT} DEFAULT")
    return True


def ensure(first: dt.datetime | dt.date, last: dt.datetime | dt.date) -> list[str]:
    """Make every missing month partition from the month of `first` to that of `last`."""
    made, month, end = [], month_of(first), month_of(last)
    while month <= end:
        if create(month):
            made.append(name(month))
        month = add_months(month, 1)
    return made


def horizon() -> dt.datetime | None:
    """Where the attached history starts, once a month was archived (else None)."""
    if not is_partitioned():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [TABLE])
        comment = cursor.fetchone()[0] or ""
    found = _HORIZON.search(comment)
    return bounds(dt.date.fromisoformat(found[1]))[0] if found else None


def _held(cursor, month: dt.date) -> int:
    """Tickets with an event in `month` and another in a later month."""
    _, high = bounds(month)
    cursor.execute(
        f"SELECT count(DISTINCT p.ticket_id) FROM {name(month)} p "  # noqa: S608
        f"WHERE EXISTS (SELECT 1 FROM {TABLE} e "
        "WHERE e.ticket_id = p.ticket_id AND e.created_at >= %s)",
        [high],
    )
    return cursor.fetchone()[0]


def archive(before: dt.date) -> dict:
    """Detach the partitions of months before `before`, oldest first, into hotline_archive.

    Stops at the first month a ticket's chain still runs through (see the module's note):
    the months after it wait too, so the attached history always starts at one boundary."""
    done, held = [], None
    for month in months():
        if month >= before:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '10s'")
            spanning = _held(cursor, month)
            if spanning:
                held = {"month": month.isoformat(), "tickets": spanning}
                break
            part = name(month)
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}")
            cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {part}")
            cursor.execute(f"ALTER TABLE {part} SET SCHEMA {ARCHIVE_SCHEMA}")
            # COMMENT takes no parameters: the date is ours, made from a date.
            edge = add_months(month, 1).isoformat()
            cursor.execute(f"COMMENT ON TABLE {TABLE} IS 'archived_before={edge}'")
            done.append(f"{ARCHIVE_SCHEMA}.{part}")
    return {"archived": done, "held": held}


def maintain(now: dt.datetime | None = None) -> dict:
    """The worker's job: months ready ahead, months past the retention archived."""
    if not is_partitioned():
        return {"partitioned": False}
    now = now or timezone.now()
    current = month_of(now)
    made = ensure(current, add_months(current, settings.HOTLINE_EVENT_PARTITIONS_AHEAD))
    result = {"partitioned": True, "created": made, "archived": [], "held": None}
    keep = settings.HOTLINE_EVENT_RETENTION_MONTHS
    if keep > 0:
        result.update(archive(add_months(current, -keep)))
    return result
