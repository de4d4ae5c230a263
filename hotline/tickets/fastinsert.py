"""One-row INSERTs with statements built once per model.

Registration is the hot path of the product (hundreds a second in a surge) and writes three
rows each time: the ticket, its event and its outbox row. Django compiles the SQL of every
`save()` anew, which here costs more CPU than the database spends on the insert; this builds
each INSERT statement once and binds the values through the fields' own `get_db_prep_save`,
so the stored values are exactly what `save()` would store.
"""

import hashlib
import json
import time
import weakref
from operator import attrgetter

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import JSONField
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer

from hotline.crypto import EncryptedTextField, PhoneHashField

# Fields whose stored value is not their Python value: COPY gets them prepared.
PREPARED = (EncryptedTextField, PhoneHashField)

_statements: dict[tuple, tuple[str, list]] = {}
_templates: dict = {}  # model -> (attname -> position, defaults, callable defaults, fk fields)


def _template(model):
    found = _templates.get(model)
    if found is None:
        fields = model._meta.concrete_fields
        index = {f.attname: i for i, f in enumerate(fields)}
        made = [(i, f) for i, f in enumerate(fields) if f.has_default() and callable(f.default)]
        fixed = [f.get_default() for f in fields]  # the callable ones are made anew per row
        related = {f.name: f for f in fields if f.is_relation}
        found = _templates[model] = (index, fixed, made, related)
    return found


def instance(model, values: dict, related: dict | None = None):
    """A new, unsaved `model(**kwargs)` built the way `Model.from_db` builds rows: all the
    concrete fields positionally (a fifth of the cost of keyword arguments, which Django
    matches field by field through descriptors and `get_default`).

    `values` by attname (`center_id`, not `center`), the others take their defaults;
    `related` by field name: objects whose ids are in `values`, cached on the instance as
    `ticket.center = unit` would, so reading them costs no query."""
    index, fixed, made, fks = _template(model)
    args = list(fixed)
    for i, f in made:
        args[i] = f.get_default()
    for name, value in values.items():
        args[index[name]] = value
    obj = model(*args)
    if related:
        for name, value in related.items():
            fks[name].set_cached_value(obj, value)
    return obj


def _statement(model, with_pk: bool):
    key = (model, with_pk, connection.vendor)
    found = _statements.get(key)
    if found is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
        qn = connection.ops.quote_name
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if not with_pk:
            sql += f" RETURNING {qn(meta.pk.column)}"
        found = _statements[key] = (sql, fields)
    return found


def insert(obj) -> None:
    """INSERT `obj` as a new row and set its primary key, as `obj.save(force_insert=True)`.
    An `obj` whose key is drawn already is inserted without reading anything back."""
    with_pk = obj.pk is not None
    sql, fields = _statement(type(obj), with_pk)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if not with_pk:
            obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias


def insert_together(
    objs: list, then: tuple[str, list] | None = None, rows: bool = True
) -> list | None:
    """INSERT `objs` (of any models, their keys drawn already) in one round trip: their
    statements joined into one string, which PostgreSQL's simple query protocol runs in
    order (the driver binds the values on the client). Registration uses it for the ticket,
    its event and its outbox row, and `then` (sql, params) for the duplicate index's
    statement, whose rows (of the string's last statement) are returned (`rows` False: a
    `then` that returns none).

    Outside a transaction (autocommit) PostgreSQL runs the string as one transaction of its
    own: committed at its end, or rolled back whole by an error in any of its statements.

    Each statement is bound on its own (`mogrify`) before the join: psycopg keeps the parse
    of a statement with at most 50 parameters (MAX_CACHED_STATEMENT_PARAMS), and the three
    joined have 60, so the joined string was split anew on every registration (~6 % of its
    CPU, cProfile); the ticket's 41, the event's 12 and the outbox row's 7 are each cached."""
    # The connection itself, not django.db.connection: each attribute read through that proxy
    # is a context-local lookup, and the fields' preparation reads it many times a row.
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        bind = cursor.cursor.mogrify
        statements = [_statement(type(obj), True) for obj in objs]
        sqls = [sql for sql, _ in statements]
        forms = executable(cursor, sqls if then is None or rows else [*sqls, then[0]])
        if then is not None and rows:
            # A read's best plan depends on its values (a caller with many demands or none):
            # it stays planned each time.
            forms.append(then[0])
        parts = []
        for obj, (_, fields), form in zip(objs, statements, forms, strict=False):
            parts.append(bind(form, _row_values(obj, fields, db)))
        if then is not None:
            parts.append(bind(forms[-1], then[1]))
        cursor.execute("; ".join(parts))
        found = None
        if then is not None and rows:
            while cursor.cursor.nextset():
                pass
            found = cursor.fetchall()
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias
    return found


# Registration's last round trip as ONE statement: the rows' INSERTs as data-modifying CTEs
# (`then`'s statement last), prepared through libpq once per connection and executed with its
# values sent apart from the SQL, as text the server reads by each column's type. Against the
# same rows as four EXECUTEs in a string of ~70 literals (insert_together), replayed 2,000
# times each on PostgreSQL 15: the client's CPU 146 -> 68-76 µs (psycopg's dumpers in C
# instead of its Python-level quoting of each literal) and the server's 290 -> 220-235 µs
# (no literal to parse, one statement to run), docs/benchmarks.md 2026-12-07. Not through
# psycopg's own preparing: Django connects with prepare_threshold None, and psycopg answers a
# ROLLBACK with DEALLOCATE ALL once it has prepared anything, which would take this
# statement and `executable`'s with it.
_one: dict = {}  # (models, then's SQL) -> (statement name, SQL with $n placeholders)
TEXT = PyFormat.TEXT
OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)


def insert_as_one(objs: list, then: tuple[str, list] | None = None) -> None:
    """PostgreSQL, outside a transaction: INSERT `objs` (of any models, their keys drawn
    already) and run `then` (sql, params: a statement that returns no rows, such as the
    duplicate index's) as one statement, which is its own transaction: all of it commits or
    none. The errors are Django's (an IntegrityError for a duplicate reference); a
    connection lost midway is an OperationalError, as from a cursor. On a connection where
    psycopg prepares (a prepare_threshold set) or for a `then` of several statements, the
    rows go by `insert_together` instead."""
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    raw = db.connection
    if raw.prepare_threshold is not None or (then is not None and "; " in then[0]):
        insert_together(objs, then=then, rows=False)
        return
    statements = [_statement(type(obj), True) for obj in objs]
    key = (*(type(obj) for obj in objs), then[0] if then is not None else None)
    found = _one.get(key)
    if found is None:
        sql = _combined(statements, then)
        found = _one[key] = (_name("hotline_one_", sql), sql)
    name, sql = found
    values = []
    for obj, (_, fields) in zip(objs, statements, strict=True):
        values += _row_values(obj, fields, db)
    if then is not None:
        values += then[1]
    started = time.monotonic()
    with db.wrap_database_errors:
        done = _prepared_on.setdefault(raw, set())
        if name not in done:
            _checked(raw, raw.pgconn.prepare(name.encode(), sql.encode()))
            done.add(name)
            _logged(db, f"PREPARE {name} AS {sql}", started)
        tx = Transformer(raw)
        params = tx.dump_sequence(values, [TEXT] * len(values))
        try:
            _checked(raw, raw.pgconn.exec_prepared(name.encode(), params, tx.formats))
        finally:
            _logged(db, f"EXECUTE {name}({len(values)} values)", started)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias


def _combined(statements: list, then: tuple[str, list] | None) -> str:
    """The INSERTs as `WITH w0 AS (…), w1 AS (…)` before `then`'s statement (its own WITH
    merged into the list), or before the last INSERT without `then`."""
    inserts = [sql for sql, _ in statements]
    last = then[0] if then is not None else inserts.pop()
    ctes = [f"w{i} AS ({sql})" for i, sql in enumerate(inserts)]
    if last.startswith("WITH "):
        sql = f"WITH {', '.join(ctes)}, {last[5:]}"
    else:
        sql = f"WITH {', '.join(ctes)} {last}"
    return _numbered(sql)


def _checked(raw, result) -> None:
    if result.status in OK:
        return
    if raw.pgconn.status == pq.ConnStatus.BAD:
        message = raw.pgconn.error_message.decode("utf-8", "replace")
        raise psycopg.OperationalError(f"connection lost: {message}")
    raise psycopg.errors.error_from_result(result, encoding="utf-8")


def _logged(db, sql: str, started: float) -> None:
    # As Django's debug cursor logs a statement (DEBUG, or a test capturing the queries).
    if db.queries_logged:
        db.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


# Registration's statements are prepared on the server once per connection and sent as EXECUTE:
# parsing, analysing and planning a 41-column INSERT with its literals every time cost the
# database about a quarter of a registration's CPU (docs/benchmarks.md, 2026-12-07). Django
# binds on the client (one string of several statements is one round trip), so the statements
# are SQL-level PREPAREs, made in a round trip of their own the first time a connection meets
# them. psycopg forgets nothing of them: it deallocates only statements it prepared itself,
# which Django's prepare_threshold of None (the default) never lets it do; a connection
# with a threshold set sends the statements as they are.
_names: dict[str, str] = {}  # statement -> its prepared name, the same in every process


def _name(prefix: str, sql: str) -> str:
    """A prepared statement's name from its text: two threads meeting two new statements at
    once cannot give both the same name (a count of the statements known could), and a
    connection never runs one statement under the name of another."""
    return prefix + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()


_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # psycopg connection -> names


def executable(cursor, statements: list[str]) -> list[str]:
    """`statements` (with %s placeholders) as this connection sends them: each as an EXECUTE
    of the same statement prepared on the server, PREPAREd here (a round trip each) the first
    time the connection meets it; of a string of several (SET LOCAL …; INSERT …) only the
    last is prepared (the placeholders must all be its). Only for statements whose plan
    does not depend on their values: writes, or a read whose plan is pinned (the caller's
    read, screening.dupindex.CALLER_PLAN). As they are on SQLite and on a connection where
    psycopg prepares."""
    raw = cursor.cursor.connection
    if cursor.db.vendor != "postgresql" or raw.prepare_threshold is not None:
        return list(statements)
    done = _prepared_on.setdefault(raw, set())
    forms, new = [], []
    for sql in statements:
        head, _, last = sql.rpartition("; ")
        name = _names.get(last)
        if name is None:
            name = _names[last] = _name("hotline_stmt_", last)
        if name not in done:
            new.append((name, f"PREPARE {name} AS {_numbered(last)}"))
        run = f"EXECUTE {name}({', '.join(['%s'] * last.count('%s'))})"
        forms.append(f"{head}; {run}" if head else run)
    for name, prepare in new:  # one at a time: a failed one leaves none half-known
        cursor.execute(prepare)
        done.add(name)
    return forms


def _numbered(sql: str) -> str:
    """`sql`'s %s placeholders as $1, $2, … (the statements here have no literal %)."""
    parts = sql.split("%s")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]


# Fields whose stored value is their Python value on PostgreSQL: `get_db_prep_save` returns
# what it is given (psycopg adapts str, int, bool, aware datetimes), and going through it cost
# a registration ~1 ms of CPU over its ~58 values (cProfile, bench/bench_register_ratio.py).
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField,
          models.ForeignKey, models.DateTimeField)  # fmt: skip
_plains: dict = {}


def _plain(model, fields) -> list[tuple]:
    """(field, True if its attribute is what is stored) for each of `fields` (PostgreSQL)."""
    found = _plains.get(model)
    if found is None:
        found = _plains[model] = [
            (
                f,
                isinstance(f, _PLAIN)
                and not isinstance(f, (*PREPARED, JSONField))
                and not getattr(f, "auto_now", False)
                and not getattr(f, "auto_now_add", False),
            )
            for f in fields
        ]
    return found


def _row_values(obj, fields, db) -> list:
    """`obj`'s values of `fields` as save() stores them on PostgreSQL (see `_plain`)."""
    return [
        getattr(obj, f.attname) if plain else f.get_db_prep_save(f.pre_save(obj, True), db)
        for f, plain in _plain(type(obj), fields)
    ]


# Bound parameters per statement on SQLite: below its limit of 32,766.
MAX_PARAMS = 30000


def insert_many(objs: list) -> None:
    """INSERT `objs` (all of one model, none saved) and set their primary keys, as
    `bulk_create` does: by COPY on PostgreSQL, multi-row INSERTs elsewhere.

    A batch of a thousand tickets would cost PostgreSQL's client-side binding more than the
    database spends on the rows (the driver splits a 40,000-placeholder statement in
    Python); COPY takes the rows as they are, the primary keys drawn first from the
    table's sequence. A constraint violation aborts the whole COPY as an IntegrityError."""
    if not objs:
        return
    if connection.vendor == "postgresql":
        _copy(objs)
    else:
        _values(objs)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _copy(objs: list) -> None:
    meta = type(objs[0])._meta
    qn = connection.ops.quote_name
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        if objs[0].pk is None:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        # The fields' Python values are what save() stores (no auto_now) except the encrypted
        # personal data and its hashes, prepared as save() would; JSON goes in as its text,
        # which the server parses as jsonb.
        row_of = attrgetter(*(f.attname for f in fields))
        json_at = [(i, f.encoder) for i, f in enumerate(fields) if isinstance(f, JSONField)]
        prepared = [(i, f) for i, f in enumerate(fields) if isinstance(f, PREPARED)]
        sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for obj in objs:
                row = row_of(obj)
                if json_at or prepared:
                    row = list(row)
                    for i, encoder in json_at:
                        row[i] = _json(row[i], encoder)
                    for i, f in prepared:
                        row[i] = f.get_db_prep_save(f.pre_save(obj, True), connection)
                copy.write_row(row)


def _json(value, encoder):
    return None if value is None else json.dumps(value, ensure_ascii=False, cls=encoder)


def _values(objs: list) -> None:
    meta = type(objs[0])._meta
    with_pk = objs[0].pk is not None
    fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
    qn = connection.ops.quote_name
    head = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {qn(meta.pk.column)}"
    per = max(1, MAX_PARAMS // len(fields))
    prep = [(f.pre_save, f.get_db_prep_save) for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), per):
            chunk = objs[start : start + per]
            values = []
            for obj in chunk:
                values += [to_db(pre(obj, True), connection) for pre, to_db in prep]
            # Rows come back from RETURNING in the order of VALUES (bulk_create relies on it).
            cursor.execute(head + ", ".join([row] * len(chunk)) + tail, values)
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk


def insert_rows(model, names: list[str], rows: list[tuple]) -> None:
    """INSERT plain rows (values in the order of the field `names`, foreign keys as ids,
    JSON as Python values) when no instance is needed back: COPY on PostgreSQL."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(n) for n in names]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    is_json = [isinstance(f, JSONField) for f in fields]
    if connection.vendor == "postgresql":
        encoders = [f.encoder if j else None for f, j in zip(fields, is_json, strict=True)]
        with connection.cursor() as cursor:
            sql = f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(
                        [
                            _json(v, enc) if j else v
                            for v, j, enc in zip(row, is_json, encoders, strict=True)
                        ]
                    )
        return
    prep = [f.get_db_prep_save for f in fields]
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per = max(1, MAX_PARAMS // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            values = [
                to_db(v, connection) for row in chunk for v, to_db in zip(row, prep, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "
                + ", ".join([row_sql] * len(chunk)),
                values,
            )
