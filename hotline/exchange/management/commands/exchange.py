"""`hotline exchange deliver [--once]` runs the webhook worker; `replay` re-queues events;
`schema` writes the exchange format's JSON Schema."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from hotline.errors import HotlineError
from hotline.exchange import delivery, formats, services
from hotline.exchange.models import Subscription
from hotline.ops.services import Heartbeat, survive_outage
from hotline.orgs.models import User


class Command(BaseCommand):
    help = "数据交换：投递 webhook（deliver）、重放事件（replay） / exchange worker and replay"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        deliver = sub.add_parser("deliver", help="投递事件 deliver events")
        deliver.add_argument("--once", action="store_true", help="投递一轮后退出 one round")
        deliver.add_argument("--interval", type=float, default=1.0, help="轮询间隔秒数")
        replay = sub.add_parser("replay", help="重放死信 replay dead letters")
        replay.add_argument("--subscription", type=int, required=True)
        replay.add_argument("--by", required=True, help="管理员用户名 administrator")
        replay.add_argument("--from-message", type=int, default=None)
        schema = sub.add_parser("schema", help="输出交换格式 JSON Schema / print the schema")
        schema.add_argument("--output", default="-", help="文件路径，默认标准输出")

    def handle(self, *args, **opts):
        if opts["action"] == "replay":
            return self._replay(opts)
        if opts["action"] == "schema":
            text = formats.dumps()
            if opts["output"] == "-":
                self.stdout.write(text, ending="")
            else:
                with open(opts["output"], "w", encoding="utf-8") as out:
                    out.write(text)
            return
        if opts["once"]:
            totals = delivery.run_once()
            self.stdout.write(
                f"已排队 queued {totals['queued']}，已投递 delivered {totals['delivered']}，"
                f"失败 failed {totals['failed']}"
            )
            return
        # Killing this loop at any point loses nothing: every state is in the database. A
        # database outage (crash, restart, failover) is waited out; the batch whose commit
        # failed is still pending and is sent again (at least once, receivers dedupe by id).
        heartbeat = None
        while True:
            try:
                heartbeat = heartbeat or Heartbeat(kind="exchange").start()
                totals = delivery.run_once()
            except Exception as exc:
                survive_outage(exc, wait=max(opts["interval"], 1.0), out=self.stderr)
                continue
            finally:
                close_old_connections()
            if not totals["delivered"]:
                time.sleep(opts["interval"])

    def _replay(self, opts):
        sub = Subscription.objects.filter(pk=opts["subscription"]).first()
        user = User.objects.filter(username=opts["by"]).first()
        if sub is None or user is None:
            raise CommandError("订阅或用户不存在 / unknown subscription or user")
        try:
            count = services.replay(subscription=sub, by=user, from_message=opts["from_message"])
        except HotlineError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}") from exc
        self.stdout.write(f"已重新排队 re-queued {count}")
