"""`hotline serve`: collect the static assets and serve the product: gunicorn, uvicorn workers.

The web tier is ASGI so that live pages (hotline/realtime) hold a stream open without holding a
thread; the ordinary views are sync and run in threads as before.
"""

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hotline.audit import security


class Command(BaseCommand):
    help = "Serve the product (gunicorn); static assets are served by the app itself."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOTLINE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HOTLINE_PORT", 8000)))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("HOTLINE_WORKERS", 2))
        )

    def handle(self, *args, host, port, workers, **options):
        refused = security.refusals()
        if refused:  # DEBUG off on the development key or with no allowed host: never serve
            lines = [f"{f.label}：{f.shown}（{f.advice}）" for f in refused]
            raise CommandError("拒绝启动：" + "；".join(lines))
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"12345 一张网 正在服务：http://{host}:{port}/  (Ctrl+C 停止)")
        self.stdout.flush()
        if workers > 1 and not settings.REALTIME_URL:
            # The in-process broker reaches only its own process's streams.
            self.stdout.write(
                "未设置 HOTLINE_REALTIME_URL：实时推送只能在一个进程内，按 1 个进程服务"
            )
            workers = 1
        # Each ASGI request runs in a thread of its own: pooled connections, not persistent.
        os.environ.setdefault("HOTLINE_DB_POOL", "true")
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        os.execv(
            gunicorn,
            [
                gunicorn,
                "hotline.asgi:application",
                "--worker-class",
                "uvicorn_worker.UvicornWorker",
                # Open streams never finish on their own: a stopping worker closes them.
                "--graceful-timeout",
                "5",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--access-logfile",
                "-",
                "--timeout",
                "60",
            ],
        )
