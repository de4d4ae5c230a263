"""The citizen portal's own records (verification codes, rate-limit hits) and import jobs.

Rate-limit hits are rows, not cache entries: every gunicorn worker counts the same hits,
whatever cache backend the deployment has.
"""

from django.conf import settings
from django.db import models


class PhoneCode(models.Model):
    """A 6-digit code sent to a phone; only its keyed hash is stored."""

    phone = models.CharField("手机号", max_length=20, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField("发送时间")
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信验证码"

    def __str__(self):
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.created_at:%Y-%m-%d %H:%M}"


class RateHit(models.Model):
    """One counted action (code sent, demand submitted, lookup) of one phone or address.

    `key` is a keyed hash of the phone or IP address: the table says how often, not who.
    """

    kind = models.CharField(max_length=24)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "created_at"], name="portal_ratehit_key")]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", "已上传"
    CHECKING = "checking", "试运行中"
    CHECKED = "checked", "试运行完成"
    RUNNING = "running", "导入中"
    DONE = "done", "导入完成"
    FAILED = "failed", "失败"


class ImportJob(models.Model):
    """One uploaded file of historical tickets: its mapping, its dry run, its import."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="导入人"
    )
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    filename = models.CharField("文件名", max_length=200)
    path = models.CharField(max_length=300, editable=False)
    headers = models.JSONField(default=list)
    mapping = models.JSONField("列对应", default=dict)
    options = models.JSONField("默认值", default=dict)
    source = models.CharField("来源标识", max_length=24)
    state = models.CharField(
        "状态", max_length=16, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField("新建", default=0)
    skipped_count = models.PositiveIntegerField("已存在", default=0)
    error_count = models.PositiveIntegerField("错误", default=0)
    errors = models.JSONField(default=list)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "历史工单导入"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def busy(self) -> bool:
        return self.state in (ImportState.CHECKING, ImportState.RUNNING)
