"""`hotline import-cdr`: import a call platform's CDR file into the calls (docs/calls.md).

    hotline import-cdr --platform fz-asterisk --format asterisk /var/log/asterisk/cdr-csv/Master.csv
    hotline import-cdr --platform fz-fs --format freeswitch Master.csv --dry-run
    hotline import-cdr --platform fz-asterisk --format asterisk Master.csv --skip-bad-lines

Every bad line is listed (line number, field, reason in Chinese and English). A file with a
bad line writes nothing (exit status 1) unless --skip-bad-lines is given; importing the same
file again changes nothing (idempotent by platform and uniqueid / uuid).
"""

import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline.calls import cdr
from hotline.calls.models import CallPlatform
from hotline.errors import HotlineError


class Command(BaseCommand):
    help = "导入呼叫平台话单（Asterisk Master.csv / FreeSWITCH CSV CDR），可先 --dry-run 试运行"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True, help="呼叫平台编码 / platform code")
        parser.add_argument("--format", required=True, choices=cdr.FORMATS)
        parser.add_argument(
            "--timezone",
            default=settings.TIME_ZONE,
            help="话单时间所在时区（Asterisk usegmtime=yes 时为 UTC）/ time zone of the CDR times",
        )
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入 / write nothing")
        parser.add_argument(
            "--skip-bad-lines", action="store_true", help="跳过错误行，导入其余 / import the rest"
        )

    def handle(self, *args, **o):
        platform = CallPlatform.objects.select_related("center").filter(code=o["platform"]).first()
        if platform is None:
            raise CommandError(f"--platform {o['platform']}: 呼叫平台不存在 / no such platform")
        try:
            ZoneInfo(o["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(
                f"--timezone {o['timezone']}: 未知时区 / unknown time zone"
            ) from None
        try:
            data = Path(o["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"{o['file']}: 无法读取 / cannot read: {exc.strerror}") from None
        try:
            report = cdr.import_cdr(
                platform=platform,
                fmt=o["format"],
                data=data,
                tz=o["timezone"],
                dry_run=o["dry_run"],
                skip_bad_lines=o["skip_bad_lines"],
            )
        except HotlineError as exc:
            raise CommandError(f"{exc.field or ''}: {exc.message_zh} / {exc.message_en}") from exc
        for e in report.errors:
            self.stdout.write(f"第{e.line}行 {e.field}: {e.message_zh} / {e.message_en}")
        for e in report.event_errors:
            self.stdout.write(f"{e['event_id']}: {e['message_zh']} / {e['message_en']}（已保存）")
        if report.written:
            verb = "导入完成 / imported"
        elif o["dry_run"]:
            verb = "试运行完成，未写入 / dry run, nothing written"
        else:
            verb = "有错误行，未写入任何数据 / bad lines, nothing written"
        self.stdout.write(
            f"{verb}: lines={report.lines} bad_lines={len(report.errors)} calls={report.calls} "
            f"new_calls={report.new_calls} events={report.events} "
            f"duplicates={report.duplicates}"
        )
        if report.errors and not report.written:
            sys.exit(1)
