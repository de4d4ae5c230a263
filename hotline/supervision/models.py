"""Deadline warnings (预警), in-app notifications and the supervision ledger (督办台账)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class WarningKind(models.TextChoices):
    ACK = "ack", "签收"
    HANDLE = "handle", "办理"


class WarningLevel(models.TextChoices):
    YELLOW = "yellow", "黄色预警（临期）"
    RED = "red", "红色预警（超期）"


class Warning(models.Model):  # noqa: A001 - the domain's word; never used beside the builtin
    """One warning of one ticket for one deadline; the unique key makes every sweep idempotent."""

    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="warnings")
    kind = models.CharField("类别", max_length=8, choices=WarningKind.choices)
    level = models.CharField("级别", max_length=8, choices=WarningLevel.choices)
    # The deadline warned about: an approved extension moves it, and the new one warns anew.
    deadline = models.DateTimeField("时限")
    unit = models.ForeignKey("orgs.Unit", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField("预警时间")
    # The sweep that inserted the row: how a worker learns which rows are its own after an
    # INSERT … ON CONFLICT DO NOTHING that another worker may have won.
    sweep = models.UUIDField(db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "时限预警"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "kind", "level", "deadline"], name="uniq_warning"
            )
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.level}"


class Notification(models.Model):
    """An in-app message; the bell counts the unread ones."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间")
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内通知"
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """Which channels besides in-app a user wants; in-app is always on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notification_preference"
    )
    email = models.BooleanField("邮件", default=False)
    sms = models.BooleanField("短信", default=False)
    webhook_url = models.URLField("Webhook 地址", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知偏好"

    def __str__(self):
        return str(self.user)


class ItemState(models.TextChoices):
    OPEN = "open", "督办中"
    ANSWERED = "answered", "已反馈"
    CLEARED = "cleared", "已销号"
    ESCALATED = "escalated", "已升级"


class ItemLevel(models.TextChoices):
    CENTER = "center", "热线中心督办"
    OFFICE = "office", "效能办督办"


class ItemSource(models.TextChoices):
    MANUAL = "manual", "人工督办"
    OVERDUE = "overdue", "超期自动督办"
    REOPENED = "reopened", "多次重办自动督办"
    RED_RISK = "red_risk", "红色风险未推进"
    INSTRUCTION = "instruction", "领导批示督办"


# Sources a supervisor opens by hand (any number per ticket); the rest are rules (one each).
HAND_SOURCES = [ItemSource.MANUAL, ItemSource.INSTRUCTION]


class SupervisionItem(models.Model):
    """One line of the supervision ledger: opened, answered by the unit, cleared or escalated."""

    ticket = models.ForeignKey("tickets.Ticket", models.PROTECT, related_name="supervision_items")
    target_unit = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="supervision_items", verbose_name="督办对象"
    )
    source = models.CharField("来源", max_length=16, choices=ItemSource.choices)
    level = models.CharField("督办级别", max_length=8, choices=ItemLevel.choices)
    state = models.CharField("状态", max_length=12, choices=ItemState.choices, db_index=True)
    reason = models.TextField("督办事由")
    deadline = models.DateTimeField("反馈时限")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField("督办时间")
    answer = models.TextField("反馈内容", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField("销号/升级说明", blank=True)
    escalated_from = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="escalations"
    )

    class Meta:
        verbose_name = verbose_name_plural = "督办台账"
        constraints = [
            # A rule opens one item per ticket, however often it is swept.
            models.UniqueConstraint(
                fields=["ticket", "source"],
                condition=~Q(source__in=["manual", "instruction"]),
                name="uniq_auto_supervision",
            )
        ]
        indexes = [models.Index(fields=["target_unit", "opened_at"], name="supervision_unit")]

    def __str__(self):
        return f"{self.ticket_id} {self.get_state_display()}"


class ScheduledRun(models.Model):
    """One time slot of one periodic job, claimed by the scheduler that enqueued it.

    The unique key is how several `hotline worker` processes agree that a job runs once per
    slot: the first insert wins and enqueues the task in the same transaction.
    """

    job = models.CharField("任务", max_length=100)
    slot = models.BigIntegerField("时段")  # seconds since the epoch // the job's period
    enqueued_at = models.DateTimeField("入队时间")

    class Meta:
        verbose_name = verbose_name_plural = "周期任务记录"
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="uniq_scheduled_run")]

    def __str__(self):
        return f"{self.job}#{self.slot}"


class CheckKind(models.TextChoices):
    PHONE = "phone", "电话暗访"
    FIELD = "field", "实地暗访"


class FieldCheck(models.Model):
    """One 暗访 by a supervisor: a call to a unit as a citizen would make it, or a visit to its
    service window; about a unit, and where known one of its tickets or a ledger item."""

    kind = models.CharField("方式", max_length=8, choices=CheckKind.choices)
    unit = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="field_checks", verbose_name="被暗访单位"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", models.PROTECT, null=True, blank=True, related_name="field_checks"
    )
    item = models.ForeignKey(
        SupervisionItem, models.PROTECT, null=True, blank=True, related_name="field_checks"
    )
    checked_at = models.DateTimeField("暗访时间")
    phone_number = models.CharField("拨打号码", max_length=32, blank=True)
    answered_by = models.CharField("接听人", max_length=64, blank=True)
    ring_seconds = models.PositiveIntegerField("响铃时长（秒）", null=True, blank=True)
    place = models.CharField("暗访地点", max_length=200, blank=True)
    findings = models.TextField("发现问题")
    score = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间")
    # What the finding led to: a ledger item (督办) and/or a proposal to name the unit (问责).
    opened_item = models.ForeignKey(
        SupervisionItem, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="发起的督办",
    )  # fmt: skip
    proposal = models.TextField("问责建议", blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField("提出问责时间", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "暗访记录"
        indexes = [models.Index(fields=["unit", "checked_at"], name="field_check_unit")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.unit_id} {self.checked_at:%Y-%m-%d}"


def _photo_path(photo, filename):
    return f"field-checks/{photo.field_check_id}/{filename}"


class CheckPhoto(models.Model):
    """A photo or document kept with a 暗访 record, checked like a ticket's attachments."""

    field_check = models.ForeignKey(FieldCheck, models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=_photo_path, max_length=200)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "暗访附件"

    def __str__(self):
        return self.name


class BulletinState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审批"
    APPROVED = "approved", "已审批"
    ISSUED = "issued", "已印发"


class Bulletin(models.Model):
    """A 典型曝光 bulletin of a center: drafted by its supervisors, approved by its leader,
    then issued; the issued Word file is kept as it was issued."""

    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    title = models.CharField("标题", max_length=200)
    state = models.CharField("状态", max_length=12, choices=BulletinState.choices, db_index=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("起草时间")
    submitted_at = models.DateTimeField("送审时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    review_note = models.TextField("审批意见", blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField("印发时间", null=True, blank=True)
    serial = models.PositiveIntegerField("期号", null=True, blank=True)
    document = models.BinaryField("印发文件", null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "典型曝光"
        constraints = [
            models.UniqueConstraint(fields=["center", "serial"], name="uniq_bulletin_serial")
        ]

    def __str__(self):
        return self.title


class CaseSource(models.TextChoices):
    SENDBACK = "sendback", "审核退回"
    QUALITY = "quality", "质量抽查差错"
    FIELD = "field", "暗访发现"


class BulletinCase(models.Model):
    """One named bad case (点名批评): what the unit did, why it is wrong, who handled it and
    the leader responsible. `ref` names the source record, so a case is chosen once."""

    bulletin = models.ForeignKey(Bulletin, models.CASCADE, related_name="cases")
    order = models.PositiveSmallIntegerField("序号")
    source = models.CharField("来源", max_length=12, choices=CaseSource.choices)
    ref = models.PositiveBigIntegerField("来源记录")
    unit = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="单位")
    ticket = models.ForeignKey(
        "tickets.Ticket", models.PROTECT, null=True, blank=True, related_name="+"
    )
    reply = models.TextField("单位答复/表现")
    why_wrong = models.TextField("错误所在")
    handler = models.CharField("承办人", max_length=64)
    leader = models.CharField("责任领导", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "曝光案例"
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "source", "ref"], name="uniq_case_source")
        ]

    def __str__(self):
        return f"{self.bulletin_id}#{self.order}"


class PushSubscription(models.Model):
    """One device's Web Push subscription (issue 19), for the user signed in on it.

    The endpoint names the browser's registration on one device: unique, so a device has one
    row and a second user signing in on it takes the row over (pushes follow the person
    signed in, never the one before)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField("推送地址", max_length=1000, unique=True)
    p256dh = models.CharField("设备公钥", max_length=100)
    auth = models.CharField("认证密钥", max_length=40)
    created_at = models.DateTimeField("订阅时间")
    last_sent_at = models.DateTimeField("最近推送", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "推送订阅"

    def __str__(self):
        return f"{self.user_id} {self.endpoint[:40]}"


class PushCursor(models.Model):
    """How far the inbox push has read the assignments (one row per feed)."""

    name = models.CharField("名称", max_length=40, unique=True)
    last_id = models.BigIntegerField("已读到")

    class Meta:
        verbose_name = verbose_name_plural = "推送进度"

    def __str__(self):
        return f"{self.name}@{self.last_id}"
