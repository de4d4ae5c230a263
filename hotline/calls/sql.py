"""A cursor for the intake's few hand-written statements that sends the parameters apart from
the statement on PostgreSQL (server-side binding).

Django's psycopg cursors bind on the client: every value is quoted into the SQL text in Python
(psycopg's `_split_query` and the per-value dumpers), which for the intake's multi-row and
array statements was a tenth of a request's CPU (bench/bench_cti.py, docs/benchmarks.md). A
plain `psycopg.Cursor` on Django's own connection (same transaction) dumps them in C. Django's
query wrappers and logging do not see these statements; SQLite gets Django's cursor.
"""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def bound_cursor():
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor
