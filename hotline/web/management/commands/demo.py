"""`hotline demo [--tickets N]`: the demo province, its people, N synthetic tickets, a week of
calls, a water cut in 鼓楼区 under way and last week's quality sample. It lives in the web
app, the top of the product, because the demo is put together above every app whose demo it
loads (tickets and, through them, the knowledge base; calls; incidents; quality)."""

import time

from django.core.management.base import BaseCommand

from hotline.calls import demo as calls_demo
from hotline.incidents import demo as incidents_demo
from hotline.quality import demo as quality_demo
from hotline.tickets import demo


class Command(BaseCommand):
    help = "Load the demo province (Fujian, 九市一区), its units, demo accounts, tickets and calls."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=300, help="synthetic tickets to add")
        parser.add_argument("--password", default=demo.DEMO_PASSWORD)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, tickets, password, seed, **options):
        started = time.perf_counter()
        accounts = demo.build(tickets=tickets, password=password, seed=seed)
        calls = calls_demo.load(seed=seed)
        sampled = quality_demo.load()
        incidents_demo.load()
        took = time.perf_counter() - started
        self.stdout.write(
            f"演示数据已就绪：{tickets} 张工单，{calls} 通来电（近 {calls_demo.DAYS} 天），"
            f"突发事件“{incidents_demo.NAME}”处置中，上周质量抽查 {sampled} 件，用时 {took:.1f} 秒。"
        )
        self.stdout.write(f"演示账号（密码均为 {password}）：")
        for username, description in accounts.items():
            self.stdout.write(f"  {username:<22} {description}")
