"""`hotline report monthly --month 2026-10 [--region CODE]` and
`hotline report quarterly --quarter 2026Q3 [--region CODE]`: write the Word and HTML report.

Without --region the report covers the whole province. Files go to --output (default
var/reports/<region code>/), the same place the report page serves them from.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hotline.errors import HotlineError
from hotline.reports import periods, service
from hotline.reports.charts import FontMissing


class Command(BaseCommand):
    help = "生成月度/季度分析报告（Word 与 HTML） / write the monthly or quarterly report"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        monthly = sub.add_parser("monthly", help="月度报告")
        monthly.add_argument("--month", required=True, help="2026-10")
        quarterly = sub.add_parser("quarterly", help="季度报告")
        quarterly.add_argument("--quarter", required=True, help="2026Q3")
        for p in (monthly, quarterly):
            p.add_argument("--region", default="", help="区划代码，默认全省")
            p.add_argument("--output", default="", help="输出目录")

    def handle(self, *args, **options):
        kind = options["kind"]
        value = options["month"] if kind == periods.MONTHLY else options["quarter"]
        started = time.perf_counter()
        try:
            period = periods.parse(kind, value)
            region = service.region_by_code(options["region"])
            folder = Path(options["output"]) if options["output"] else None
            docx_path, html_path, f = service.generate(period, region, folder=folder)
        except HotlineError as exc:
            raise CommandError(f"{exc.field}: {exc.message_zh} / {exc.message_en}") from None
        except FontMissing as exc:
            raise CommandError(str(exc)) from None
        took = time.perf_counter() - started
        self.stdout.write(f"{f.region_name} {period.label}：受理 {f.volume.now:,} 件")
        self.stdout.write(f"Word  {docx_path}")
        self.stdout.write(f"HTML  {html_path}")
        self.stdout.write(f"用时  {took:.1f} s")
