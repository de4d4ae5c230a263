"""Read replicas for heavy reads that may be a little stale, chosen at the call site.

What may read stale data is an explicit list of call sites, not of models: the monthly and
quarterly reports, the dashboard (大屏), analytics (hot topics, warnings) and exports wrap
their reads in `stale_reads()` (a context manager and a decorator). Everything else — the
workbench, the lifecycle, intake, screening, every write and every read that a write depends
on — reads from the primary, because the router only sends a read to the replica inside that
block, and never inside a transaction. A ticket an agent has just registered must be on their
next page; a report that lags by a second harms no one.

The replica is used only while its lag is under HOTLINE_REPLICA_LAG_LIMIT_SECONDS; past it,
or when it cannot be reached, the block reads from the primary (and the admin page and
/api/v1/health show the lag). The lag is measured at most every
HOTLINE_REPLICA_LAG_CHECK_SECONDS per thread, so a busy report does not ask the replica before every query.
"""

import contextvars
import logging
import threading
import time
from contextlib import ContextDecorator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger("hotline.dbrouter")

# Seconds of replay lag; 0 when everything received has been replayed (an idle primary writes
# nothing, so now() - last replay time would grow without any lag).
REPLICA_LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
    "THEN 0 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)

_stale_ok = contextvars.ContextVar("hotline_stale_reads", default=False)
_checked = threading.local()  # per thread: a connection (and its lag reading) is per thread


class stale_reads(ContextDecorator):
    """Inside this block (or decorated function) reads go to the replica when it is fresh."""

    def __init__(self):
        self._tokens = []

    def _recreate_cm(self):
        return stale_reads()  # a decorated function may run in several threads at once

    def __enter__(self):
        self._tokens.append(_stale_ok.set(True))
        return self

    def __exit__(self, *exc):
        _stale_ok.reset(self._tokens.pop())
        return False


def replica_alias() -> str | None:
    """The configured replica's alias (HOTLINE_REPLICA_ALIAS), or None without one."""
    alias = getattr(settings, "HOTLINE_REPLICA_ALIAS", "replica")
    return alias if alias in settings.DATABASES and alias != DEFAULT_DB_ALIAS else None


def measure(alias: str) -> dict:
    """{alias, up, lag_seconds, error}: the replica's replay lag, asked of the replica itself."""
    conn = connections[alias]
    try:
        with conn.cursor() as cursor:
            cursor.execute(REPLICA_LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError as exc:
        conn.close()  # a broken connection would fail the next check again
        return {"alias": alias, "up": False, "lag_seconds": None, "error": type(exc).__name__}
    if not in_recovery:  # configured as a replica but it is a primary (promoted by a failover)
        return {"alias": alias, "up": True, "lag_seconds": None, "error": "not_a_replica"}
    return {"alias": alias, "up": True, "lag_seconds": float(lag or 0), "error": None}


def lag_limit() -> float:
    return float(getattr(settings, "HOTLINE_REPLICA_LAG_LIMIT_SECONDS", 30))


def replica_status() -> dict | None:
    """The replica's state and whether stale reads use it now; None without a replica."""
    alias = replica_alias()
    if alias is None:
        return None
    state = measure(alias)
    usable = state["error"] is None and state["lag_seconds"] <= lag_limit()
    return {**state, "limit_seconds": lag_limit(), "in_use": usable}


def _usable(alias: str) -> bool:
    every = float(getattr(settings, "HOTLINE_REPLICA_LAG_CHECK_SECONDS", 5))
    now = time.monotonic()
    last = getattr(_checked, "at", None)
    if last is None or now - last >= every or getattr(_checked, "alias", None) != alias:
        state = measure(alias)
        ok = state["error"] is None and state["lag_seconds"] <= lag_limit()
        if not ok:
            log.warning("replica %s not used: %s", alias, state)
        _checked.at, _checked.alias, _checked.ok = now, alias, ok
    return _checked.ok


def forget_lag() -> None:
    """Measure the lag again at the next stale read (tests; after changing the limit)."""
    _checked.at = None


class ReplicaRouter:
    """DATABASE_ROUTERS entry: stale reads inside `stale_reads()` to a fresh replica."""

    def db_for_read(self, model, **hints):
        if not _stale_ok.get():
            return None  # the primary
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            # A read inside a write transaction is one the write depends on (a lifecycle
            # transition called from a report's block, say): the primary, never stale.
            return None
        alias = replica_alias()
        if alias is None or not _usable(alias):
            return None
        return alias

    def db_for_write(self, model, **hints):
        return None  # always the primary; a replica refuses writes anyway

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: the same database

    def allow_migrate(self, db, app_label, **hints):
        # A streaming replica replays the primary's migrations; it cannot run its own.
        return False if db == replica_alias() else None
