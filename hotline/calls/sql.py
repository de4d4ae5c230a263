"""A cursor for the intake's few hand-written statements that sends the parameters apart from
the statement on PostgreSQL (server-side binding).

Why: Django's psycopg cursors bind on the client: every value is quoted into the SQL text in
Python (psycopg's `_split_query` and the per-value dumpers), which for the intake's multi-row
and array statements was a tenth of a request's CPU (bench/bench_cti.py, docs/benchmarks.md).
A plain `psycopg.Cursor` on Django's own connection (so in the same transaction) dumps them in
C, and psycopg prepares a statement on the server from its fifth use on a connection: keep
each statement's text fixed (arrays, not a VALUES list that grows with the batch) and it is
planned once per connection.

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
