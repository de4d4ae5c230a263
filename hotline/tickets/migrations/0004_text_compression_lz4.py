"""Long demand texts and replies compressed with lz4 instead of pglz on PostgreSQL.

A demand over about 2 KB (650 Chinese characters; a fifth of the real ones) is compressed as
it is written, and pglz was the largest single cost of the database in batch registration
(8 % of its CPU); lz4 compresses several times faster. Only values written from now on use
it; a server built without lz4 keeps pglz. Nothing to do on SQLite.
"""

from django.db import migrations

COLUMNS = [("tickets_ticket", "content"), ("tickets_ticket", "reply")]


def _has_lz4(cursor) -> bool:
    cursor.execute(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def _set(schema_editor, method: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _has_lz4(cursor):
            return
    for table, column in COLUMNS:
        schema_editor.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method}'
        )


def to_lz4(apps, schema_editor):
    _set(schema_editor, "lz4")


def to_pglz(apps, schema_editor):
    _set(schema_editor, "pglz")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_lean_write_indexes")]

    operations = [
        migrations.RunPython(to_lz4, to_pglz)
    ]
