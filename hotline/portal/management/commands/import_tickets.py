"""`hotline import-tickets FILE`: import historical tickets from a .csv or .xlsx file.

    hotline import-tickets messages.csv --by prov_admin --source board --dry-run
    hotline import-tickets messages.csv --by prov_admin --source board --map 留言主题=title ...
    hotline import-tickets book.xlsx --by prov_admin --source old --mapping mapping.json

Without --map/--mapping, the columns are matched by their header names (留言主题 → title …).
The user given with --by must be a hotline center's system administrator; the tickets go to
that center. Exit status 1 when any row has an error (they are listed, row by row).
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hotline.catalog.models import Category
from hotline.errors import HotlineError
from hotline.exchange import imports
from hotline.orgs.models import Region, User
from hotline.portal.importing import import_membership


class Command(BaseCommand):
    help = "导入历史工单（CSV/Excel），可先 --dry-run 试运行"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--by", required=True, help="username of a center administrator")
        parser.add_argument("--source", help="source id (default: the file name)")
        parser.add_argument("--mapping", help="a JSON file {column: field}")
        parser.add_argument("--map", action="append", default=[], metavar="COL=FIELD")
        parser.add_argument("--region", help="region code for rows without one")
        parser.add_argument("--category", help="category code for rows without one")
        parser.add_argument("--appeal-type", default="help")
        parser.add_argument("--channel", default="web")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")

    def handle(self, *args, **o):
        user = User.objects.filter(username=o["by"], is_active=True).first()
        m = import_membership(user) if user else None
        if m is None:
            raise CommandError(
                f"--by {o['by']}: 不是热线中心的系统管理员 / not a center administrator"
            )
        try:
            table = imports.read_table(o["file"])
            mapping = self._mapping(o, table.headers)
            opts = imports.Options(
                center=m.unit,
                by=user,
                source=o["source"] or Path(o["file"]).stem[:24],
                channel=o["channel"],
                region=self._get(Region, code=o["region"], name="--region"),
                category=self._get(Category, code=o["category"], name="--category"),
                appeal_type=o["appeal_type"],
            )
            report = imports.run(
                table, mapping, opts, dry_run=o["dry_run"], progress=self._progress
            )
        except HotlineError as exc:
            raise CommandError(f"{exc.field or ''}: {exc.message_zh} / {exc.message_en}") from exc
        sys.stderr.write("\n")
        for e in report.errors:
            self.stdout.write(f"第{e['row']}行 {e['field']}: {e['message_zh']} / {e['message_en']}")
        verb = "试运行" if o["dry_run"] else "导入"
        self.stdout.write(
            f"{verb}完成 / done: rows={report.total} valid={report.valid} created={report.created} "
            f"skipped={report.skipped} errors={report.error_count}"
        )
        if report.error_count:
            sys.exit(1)

    @staticmethod
    def _mapping(o, headers):
        if o["mapping"]:
            with open(o["mapping"], encoding="utf-8") as f:
                return json.load(f)
        if o["map"]:
            return imports.parse_map_args(o["map"])
        return imports.suggest(headers)

    @staticmethod
    def _get(model, *, code, name):
        if not code:
            return None
        found = model.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"{name} {code}: 不存在 / unknown")
        return found

    @staticmethod
    def _progress(done, total):
        sys.stderr.write(f"\r{done}/{total}")
        sys.stderr.flush()
