"""`hotline rotate-data-key`: bring every encrypted value under the current data key.

Rotation: `hotline rotate-data-key --new-key k2026b` prints a fresh entry; put it first in the
key file (keep the old entry after it) and restart the servers, which then write under the new
key and still read the old one; run this command (in the background, e.g. under nohup or as a
systemd unit) until it reports 0 rows left; then drop the old entry. It is resumable: rows
already under the current key are only read, and `--table T --after-id N` (printed with the
progress) starts a stopped run where it was. The servers may keep working meanwhile: a row
they change while it is being rotated is not overwritten (crypto.Rewriter).
"""

import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from hotline import crypto

PROGRESS_EVERY = 10  # seconds between progress lines: a 1 M-row table prints about 60


def encrypted_tables() -> list[tuple[str, tuple[str, ...], dict[str, str]]]:
    """(table, encrypted columns, hash column → phone column) of every model holding any."""
    out = []
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        columns = tuple(f.column for f in fields if isinstance(f, crypto.EncryptedTextField))
        hashes = {
            f.column: model._meta.get_field(f.source).column
            for f in fields
            if isinstance(f, crypto.PhoneHashField)
        }
        if columns:
            out.append((model._meta.db_table, columns, hashes))
    return out


class Command(BaseCommand):
    help = "Re-encrypt citizens' personal data under the current data key (resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--new-key", metavar="ID", help="print a new key entry and stop")
        parser.add_argument("--table", help="start at this table (with --after-id: resume)")
        parser.add_argument("--after-id", type=int, default=0, help="resume after this row id")
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, new_key=None, table=None, after_id=0, batch=2000, **options):
        if new_key:
            try:
                self.stdout.write(crypto.new_key_entry(new_key))
            except crypto.DataKeyError as exc:
                raise CommandError(str(exc)) from exc
            return
        try:
            ring = crypto.ring()
        except crypto.DataKeyError as exc:
            raise CommandError(str(exc)) from exc
        tables = encrypted_tables()
        names = [t[0] for t in tables]
        if table is not None:
            if table not in names:
                raise CommandError(
                    f"--table 应为 {', '.join(names)} 之一 / --table must be one of {', '.join(names)}"
                )
            tables = tables[names.index(table) :]
        elif after_id:
            raise CommandError("--after-id 须与 --table 同用 / --after-id needs --table")
        self.stdout.write(f"当前密钥 current key: {ring.current.id}（共 {len(ring.keys)} 个）")
        for n, (table, columns, hashes) in enumerate(tables):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
                (top,) = cursor.fetchone()
            started = time.monotonic()
            shown = [0.0]

            def progress(last, changed, table=table, top=top, started=started, shown=shown):
                now = time.monotonic()
                if shown[0] and now - shown[0] < PROGRESS_EVERY and last < top:
                    return
                shown[0] = now
                share = 100.0 * last / top if top else 100.0
                rate = changed / max(now - started, 1e-6)
                self.stdout.write(
                    f"{table}: id {last}/{top} ({share:.1f}%), 已重新加密 {changed} 行 "
                    f"({rate:.0f}/s)；中断后可用 --table {table} --after-id {last} 继续"
                )

            # Each batch's updates commit on their own (autocommit): a stop loses one batch.
            changed = crypto.rekey_rows(
                connection, table=table, columns=columns, hashes=hashes,
                after_id=after_id if n == 0 else 0, batch=batch, progress=progress,
            )  # fmt: skip
            self.stdout.write(self.style.SUCCESS(f"{table}: 完成，重新加密 {changed} 行"))
