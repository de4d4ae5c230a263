"""`hotline topics --csv FILE`: hot topics of a message-board CSV; without --csv, of tickets."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hotline.errors import HotlineError
from hotline.tickets.models import Ticket

from ...sources import load_csv
from ...topics import find_topics, hot_topics


class Command(BaseCommand):
    help = "热点诉求：按同一地点、同一问题聚类并按热度排序"

    def add_arguments(self, parser):
        parser.add_argument(
            "--csv", help="message CSV (id, user, title, time, content[, likes, dislikes])"
        )
        parser.add_argument("--days", type=int, default=30, help="tickets of the last N days")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--members", type=int, default=5, help="member titles shown per topic")
        parser.add_argument("--markdown", action="store_true", help="a Markdown table")

    def handle(self, *args, csv=None, days=30, limit=10, members=5, markdown=False, **options):
        started = time.monotonic()
        try:
            if csv:
                demands = load_csv(csv)
                topics = find_topics(demands, limit=limit)
                titles = {d.key: d.title for d in demands}
            else:
                end = timezone.now()
                topics = hot_topics(
                    Ticket.objects.all(), end - dt.timedelta(days=days), end, limit=limit
                )
                keys = {k for t in topics for k in t.keys[:members]}
                titles = dict(Ticket.objects.filter(pk__in=keys).values_list("id", "title"))
        except HotlineError as exc:
            raise CommandError(f"{exc.field}: {exc.message_zh} / {exc.message_en}") from exc
        took = time.monotonic() - started
        out = self.stdout.write
        if markdown:
            out("| # | 热点 | 地点 | 关键词 | 件数 | 诉求人 | 点赞 | 热度 |")
            out("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for n, t in enumerate(topics, start=1):
            if markdown:
                out(f"| {n} | {t.title} | {t.place or '—'} | {' '.join(t.phrases)} | {t.size} | "
                    f"{t.citizens} | {t.votes} | {t.heat} |")  # fmt: skip
                continue
            out(f"{n}. {t.title}  件数 {t.size} · 诉求人 {t.citizens} · 重复 {t.repeats} · "
                f"点赞 {t.votes} · 增长 {t.growth} · 热度 {t.heat}")  # fmt: skip
            for k in t.keys[:members]:
                out(f"     {k}  {titles.get(k, '')}")
        self.stderr.write(f"{len(topics)} topics in {took:.1f}s")
