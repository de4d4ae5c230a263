"""One-row INSERTs with statements built once per model.

Registration is the hot path of the product (hundreds a second in a surge) and writes three
rows each time: the ticket, its event and its outbox row. Django compiles the SQL of every
`save()` anew, which here costs more CPU than the database spends on the insert; this builds
each INSERT statement once and binds the values through the fields' own `get_db_prep_save`,
so the stored values are exactly what `save()` would store.
"""

from django.db import connection

_statements: dict[tuple, tuple[str, list]] = {}


def _statement(model, with_pk: bool):
    key = (model, with_pk, connection.vendor)
    found = _statements.get(key)
    if found is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
        qn = connection.ops.quote_name
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(meta.pk.column)}"
        )
        found = _statements[key] = (sql, fields)
    return found


def insert(obj) -> None:
    """INSERT `obj` as a new row and set its primary key, as `obj.save(force_insert=True)`."""
    sql, fields = _statement(type(obj), obj.pk is not None)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
