"""A cursor for the intake's few hand-written statements that sends the parameters apart from
the statement on PostgreSQL (server-side binding).

Why: Django's psycopg cursors bind on the client: every value is quoted into the SQL text in
Python (psycopg's `_split_query` and the per-value dumpers), which for the intake's multi-row
and array statements was a tenth of a request's CPU (bench/bench_cti.py, docs/benchmarks.md).
A plain `psycopg.Cursor` on Django's own connection (so in the same transaction) dumps them in
C. The statements' texts are kept fixed (arrays, not a VALUES list that grows with the
batch) so that psycopg could prepare each once per connection from its fifth use; it does
not today: Django opens its connections with `prepare_threshold=None` (psycopg's preparing
off). Turning it on inside this cursor only was tried and not kept (docs/benchmarks.md,
2026-12-07: the database's share fell by about a tenth, the total per event not above the
noise, and a duplicate cost the database more). Registration's statements are prepared at SQL
level instead (tickets/fastinsert.py, which relies on psycopg preparing nothing on the
connection); its `EXECUTE name(…)` cannot take these statements' server-bound parameters:
psycopg sends a str or None without a type, which an EXECUTE's parameter must have.

What the caller gives up, and must keep in mind:
- Django's query wrappers, logging and `connection.queries` do not see these statements;
- a failing statement raises psycopg's own error (`psycopg.errors.UniqueViolation`), not
  Django's `IntegrityError`: write statements that cannot fail on a conflict (ON CONFLICT);
- the SQL must run on both databases or branch on `connection.vendor` (SQLite gets Django's
  cursor, with Django's binding).
"""

from contextlib import contextmanager

import psycopg
from django.db import connection
from django.db.models.base import ModelState


@contextmanager
def bound_cursor():
    """A cursor in the current transaction, binding on the server on PostgreSQL."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def bare(model, db: str, **values):
    """An instance of `model` with only `values` (attnames) loaded, as if read from the
    database `db` (the connection's alias, looked up once by the caller), without Django's __init__ and converters (the intake makes hundreds a request).
    A field not given is deferred: reading it is a query of its own, so give all it uses."""
    obj = model.__new__(model)
    obj.__dict__.update(values)
    obj._state = ModelState()
    obj._state.adding, obj._state.db = False, db
    return obj
