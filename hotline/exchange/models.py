"""The transactional outbox, the systems connected to the exchange and their webhooks, and
the 110 linkage with the police (hand-overs out, 非警务警情 in)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="+")
    event = models.OneToOneField("tickets.TicketEvent", models.CASCADE, related_name="outbox")
    topic = models.CharField(max_length=48)
    payload = models.JSONField()
    # Read by id only (the feed's cursor, the delivery queue): no other index to pay for on
    # every ticket change.
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "发件箱"
        ordering = ["id"]

    def __str__(self):
        return f"{self.topic} #{self.pk}"


class SystemKind(models.TextChoices):
    SUBCENTER = "subcenter", "分中心/城市系统"
    POLICE = "police", "公安110"


class ConnectedSystem(models.Model):
    """A sub-center or city system that pushes its work orders in and receives changes back.

    It registers at `unit` (a center or sub-center) as `service_user`, who must hold an agent
    or dispatcher role there; what it may read is that user's scope (rule 2).
    """

    code = models.SlugField("系统编码", max_length=24, unique=True)
    name = models.CharField("系统名称", max_length=100)
    unit = models.ForeignKey("orgs.Unit", models.PROTECT, verbose_name="受理中心")
    service_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="服务账号"
    )
    # HMAC needs the clear secret on both sides, so it cannot be stored as a hash.
    secret = models.CharField("签名密钥", max_length=128)
    is_active = models.BooleanField("启用", default=True)
    # A police partner reads only what was handed to it, whatever its service user could see;
    # a sub-center reads its service user's scope.
    kind = models.CharField(
        "类型", max_length=12, choices=SystemKind.choices, default=SystemKind.SUBCENTER
    )

    class Meta:
        verbose_name = verbose_name_plural = "接入系统"

    def __str__(self):
        return f"{self.name} ({self.code})"


class Subscription(models.Model):
    """A webhook of a connected system; `cursor` is the last outbox id queued for it."""

    system = models.ForeignKey(
        ConnectedSystem, models.CASCADE, related_name="subscriptions", verbose_name="接入系统"
    )
    url = models.URLField("回调地址", max_length=500)
    secret = models.CharField("签名密钥", max_length=128)
    is_active = models.BooleanField("启用", default=True)
    max_attempts = models.PositiveSmallIntegerField("最大重试次数", default=8)
    cursor = models.BigIntegerField("已排队至", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "事件订阅"

    def __str__(self):
        return f"{self.system.code} → {self.url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "待投递"
    DELIVERED = "delivered", "已投递"
    DEAD = "dead", "死信"


class Delivery(models.Model):
    """One outbox message owed to one subscription; its state lives here, not in the worker."""

    subscription = models.ForeignKey(Subscription, models.CASCADE, related_name="deliveries")
    message = models.ForeignKey(OutboxMessage, models.CASCADE, related_name="+")
    # Copied from the message so that per-ticket ordering needs no join.
    ticket_id = models.BigIntegerField()
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "投递记录"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "message"], name="uniq_delivery")
        ]
        indexes = [
            models.Index(fields=["subscription", "state", "message"], name="delivery_queue"),
        ]

    def __str__(self):
        return f"{self.subscription_id}:{self.message_id} {self.state}"


class SelfHandledTicket(models.Model):
    """A ticket a connected system handles itself and reports for unified statistics.

    The system sent it with `self_handled: true`; its status then moves only by the
    system's status reports (`lifecycle.report_self_handled`), which the center's
    transitions refuse to touch. `reported_at` is the system's own time of the newest
    report applied: an older report arriving late is ignored, never applied over it."""

    ticket = models.OneToOneField(
        "tickets.Ticket", models.CASCADE, primary_key=True, related_name="self_handled"
    )
    system = models.ForeignKey(
        ConnectedSystem, models.PROTECT, related_name="+", verbose_name="接入系统"
    )
    state = models.CharField("最近报送状态", max_length=16, blank=True)
    reported_at = models.DateTimeField("最近报送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "自办工单"

    def __str__(self):
        return f"{self.system_id}:{self.ticket_id} {self.state}"


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
        # Moved from the portal (issue 20): the table was renamed, its rows kept
        # (portal 0002, exchange 0006).

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def busy(self) -> bool:
        return self.state in (ImportState.CHECKING, ImportState.RUNNING)


class PoliceLinkSetting(models.Model):
    """A center's rule for its 110 linkage; a center without one takes the nearest center
    above it, then HOTLINE_POLICE_ACK_MINUTES (30)."""

    center = models.OneToOneField(
        "orgs.Unit", models.CASCADE, primary_key=True, related_name="+", verbose_name="热线中心"
    )
    ack_minutes = models.PositiveSmallIntegerField(
        "公安签收时限（分钟）", default=30, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = verbose_name_plural = "110联动设置"

    def __str__(self):
        return f"{self.center_id}: {self.ack_minutes} 分钟"


class HandoverState(models.TextChoices):
    SENT = "sent", "待公安签收"
    ACKNOWLEDGED = "acknowledged", "公安已签收"
    CONCLUDED = "concluded", "公安已办结"


class PoliceLink(models.Model):
    """A hand-over (screening's PoliceHandover record) sent to a police partner through the
    exchange, and where the police have got with it."""

    handover = models.OneToOneField(
        "screening.PoliceHandover", models.PROTECT, related_name="link", verbose_name="移交记录"
    )
    partner = models.ForeignKey(
        ConnectedSystem, models.PROTECT, related_name="police_links", verbose_name="公安系统"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", models.PROTECT, related_name="police_links", verbose_name="工单"
    )
    reference = models.CharField("移交编号", max_length=24, unique=True)
    state = models.CharField(
        "状态", max_length=16, choices=HandoverState.choices, default=HandoverState.SENT
    )
    handed_at = models.DateTimeField("移交时间")
    ack_due_at = models.DateTimeField("签收时限")
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    police_ref = models.CharField("公安警情编号", max_length=64, blank=True)
    officer = models.CharField("签收人", max_length=64, blank=True)
    concluded_at = models.DateTimeField("办结时间", null=True, blank=True)
    outcome = models.TextField("处置结果", blank=True)
    overdue_alerted_at = models.DateTimeField("超时提醒时间", null=True, blank=True)
    # When the police first read the hand-over (with the citizen's contact) through the API.
    read_at = models.DateTimeField("公安首次读取时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "移交公安（110联动）"
        ordering = ["-id"]
        constraints = [
            # A repeated hand-over of the same ticket to the same partner while the first is
            # open is the same hand-over (idempotent), also under a race.
            models.UniqueConstraint(
                fields=["ticket", "partner"],
                condition=~Q(state="concluded"),
                name="uniq_open_police_link",
            )
        ]
        indexes = [models.Index(fields=["state", "ack_due_at"], name="police_link_due")]

    def __str__(self):
        return f"{self.reference} {self.get_state_display()}"


class PoliceReportKind(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", "签收"
    PROGRESS = "progress", "进展"
    CONCLUDED = "concluded", "办结"


class PoliceReport(models.Model):
    """One report of the police on a hand-over, kept as received: the audit of what they
    said and when, and the key that makes a resent report harmless."""

    link = models.ForeignKey(PoliceLink, models.CASCADE, related_name="reports")
    report_id = models.CharField("报告编号", max_length=64)
    kind = models.CharField("类型", max_length=16, choices=PoliceReportKind.choices)
    at = models.DateTimeField("公安报告时间")
    note = models.TextField("内容", blank=True)
    received_at = models.DateTimeField("接收时间")

    class Meta:
        verbose_name = verbose_name_plural = "公安报告"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["link", "report_id"], name="uniq_police_report")
        ]

    def __str__(self):
        return f"{self.link_id}:{self.report_id} {self.kind}"


class PoliceDemand(models.Model):
    """A 非警务警情 the police handed to 12345: the ticket it became and the result sent back.

    `result_for` is the ticket's closed_at whose result went out: a ticket reopened and
    closed again sends its new result once more."""

    partner = models.ForeignKey(
        ConnectedSystem, models.PROTECT, related_name="police_demands", verbose_name="公安系统"
    )
    police_ref = models.CharField("公安警情编号", max_length=40)
    ticket = models.OneToOneField(
        "tickets.Ticket", models.PROTECT, related_name="police_demand", verbose_name="工单"
    )
    police_unit = models.CharField("接警单位", max_length=100, blank=True)
    reported_at = models.DateTimeField("接警时间", null=True, blank=True)
    received_at = models.DateTimeField("接收时间")
    result_for = models.DateTimeField("已回告的办结时间", null=True, blank=True)
    result_sent_at = models.DateTimeField("回告时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "110转办的非警务警情"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "police_ref"], name="uniq_police_demand")
        ]

    def __str__(self):
        return f"{self.partner_id}:{self.police_ref}"
