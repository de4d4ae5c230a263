"""`hotline backup --out FILE`: the whole database, encrypted, with its manifest beside it.

See hotline/audit/backup.py for the format and docs/backup.md for the schedule, the key's
custody and the restore drill."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hotline.audit import backup


class Command(BaseCommand):
    help = "Write an encrypted, consistent backup of the whole database to --out."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="FILE", help="the archive to write")
        parser.add_argument("--quiet-tables", action="store_true", help="no line per table")

    def handle(self, *args, out, quiet_tables=False, **options):
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(
                f"--out：目录 {target.parent} 不存在 / --out: no such directory {target.parent}"
            )
        if target.exists():
            raise CommandError(
                f"--out：{target} 已存在，不覆盖 / --out: {target} exists, not overwritten"
            )

        def progress(table, n):
            if n and not quiet_tables:
                self.stdout.write(f"  {table}: {n}")

        started = time.monotonic()
        try:
            summary = backup.backup(target, progress=progress)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = summary.manifest
        if m["key_source"] == "development":
            self.stderr.write(
                "警告 WARNING: 备份用开发密钥加密，仅供测试 / the backup is under the "
                "development key: set HOTLINE_BACKUP_KEY_FILE in production"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份 {m['rows']} 行（{len(m['tables'])} 张表，{m['tickets']} 张工单）到 "
                f"{summary.path}（{summary.size} 字节，{time.monotonic() - started:.1f} s）；"
                f"密钥 {m['key_id']}；SHA-256 {summary.sha256}"
            )
        )
        self.stdout.write(f"清单 manifest: {summary.path}.manifest.json")
