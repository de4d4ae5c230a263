"""What the health endpoint needs to know about processes that have no HTTP port: workers."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last sign of life of one background process (`hotline worker`, `hotline exchange
    deliver`). One row per process, written every few seconds while it runs; a process that
    died leaves its row to age, which is how the health endpoint tells that it is gone."""

    kind = models.CharField("进程类型", max_length=32)
    worker_id = models.CharField("进程标识", max_length=64, unique=True)
    host = models.CharField("主机", max_length=128)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动时间")
    seen_at = models.DateTimeField("最近心跳")

    class Meta:
        verbose_name = verbose_name_plural = "后台进程心跳"
        indexes = [models.Index(fields=["kind", "seen_at"], name="heartbeat_kind_seen")]

    def __str__(self):
        return f"{self.kind} {self.host}:{self.pid}"
