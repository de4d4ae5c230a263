"""`hotline rebuild_call_figures`: recompute the call figures' rollup from the calls.

    hotline rebuild_call_figures                                  # every day (after a change of T)
    hotline rebuild_call_figures --from 2026-10-01 --to 2026-10-31  # repair a range

The writers of calls wait while it runs (a table lock on PostgreSQL); a range is refused
while the rollup was counted with another T, since half a table with the new T is worse than
the figures read from the calls.
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from hotline.calls import rollup


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"日期格式应为 YYYY-MM-DD：{text} / a day is YYYY-MM-DD: {text}"
        ) from None


class Command(BaseCommand):
    help = "重建话务指标汇总（服务水平 T 变更或修复时）/ rebuild the call figures' rollup"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="day_from", type=_day, help="起始日期 / first day")
        parser.add_argument("--to", dest="day_to", type=_day, help="结束日期 / last day")

    def handle(self, *args, day_from=None, day_to=None, **options):
        if day_from and day_to and day_to < day_from:
            raise CommandError("结束日期早于起始日期 / --to is before --from")
        started = time.perf_counter()
        try:
            rows = rollup.rebuild(day_from=day_from, day_to=day_to)
        except ValueError:
            raise CommandError(
                "服务水平 T 已变更，须重建全部日期 / T changed: rebuild every day, not a range"
            ) from None
        self.stdout.write(
            f"话务指标汇总已重建 / rebuilt: {rows['CenterHourFigures']:,} center-hour rows, "
            f"{rows['AgentDayFigures']:,} agent-day rows in {time.perf_counter() - started:.1f} s"
        )
