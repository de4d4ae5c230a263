"""The access log of citizens' personal data: who saw which ticket's name or phone
in full, when and why. Append-only: the model refuses updates and deletes, the admin offers
neither, and on PostgreSQL a trigger refuses them to every database user.

The one who saw is a staff user or a connected partner system (a 110 police partner reading a
hand-over through its signed API): exactly one of the two."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hotline.orgs.scope import memberships
from hotline.throttle import client_address


class PersonalField(models.TextChoices):
    NAME = "citizen_name", "诉求人姓名"
    PHONE = "citizen_phone", "联系电话"


# How a partner system is named where a user name would be (log page, exports, API).
PARTNER_PREFIX = "接入系统:"


class AppendOnlyError(Exception):
    """A row of the access log was to be changed or deleted."""


class PersonalDataView(models.Model):
    at = models.DateTimeField("查看时间")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="查看人",
        null=True, blank=True,
    )  # fmt: skip
    # A partner system reads under its own signature, not as a user: the log names it.
    partner = models.ForeignKey(
        "exchange.ConnectedSystem", models.PROTECT, related_name="+", verbose_name="接入系统",
        null=True, blank=True,
    )  # fmt: skip
    # The ticket by id and number: the number stays readable even if the ticket is archived.
    ticket = models.ForeignKey(
        "tickets.Ticket", models.PROTECT, related_name="+", verbose_name="工单", db_index=False
    )
    ticket_number = models.CharField("工单编号", max_length=24)
    center = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="工单责任中心", db_index=False
    )
    field = models.CharField("字段", max_length=16, choices=PersonalField.choices)
    reason = models.CharField("查看理由", max_length=200)
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "个人信息查看记录"
        indexes = [
            models.Index(fields=["center", "-at"], name="pdview_center_at"),
            models.Index(fields=["ticket", "-at"], name="pdview_ticket_at"),
            models.Index(fields=["user", "-at"], name="pdview_user_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, partner__isnull=True)
                | models.Q(user__isnull=True, partner__isnull=False),
                name="pdview_user_or_partner",
            )
        ]

    def __str__(self):
        return f"{self.ticket_number} {self.get_field_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(
                "个人信息查看记录只能追加，不能修改 / the access log is append-only"
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("个人信息查看记录不能删除 / the access log is append-only")

    @property
    def viewer(self) -> str:
        """Who saw: the user name, or `接入系统:<code>` for a partner system."""
        return self.user.username if self.user_id else PARTNER_PREFIX + self.partner.code

    @classmethod
    def record_partner_read(cls, *, partner, ticket, fields, reason: str, request=None):
        """Log that `partner` received `fields` of `ticket`'s citizen in full (from the
        address of `request`). Here, not in services: the apps below this one (exchange) may
        use another app's models but not call up into its services."""
        now = timezone.now()
        address = (client_address(request) or None) if request is not None else None
        cls.objects.bulk_create(
            [
                cls(at=now, partner=partner, ticket=ticket, ticket_number=ticket.number,
                    center_id=ticket.center_id, field=f, reason=reason[:200], address=address)
                for f in fields
            ]
        )  # fmt: skip


# ---- bulk exports: approval and log (issue 18, part 3) ----------------------------------------

# Rows above which an export waits for approval, where the center has set nothing.
DEFAULT_EXPORT_THRESHOLD = 1000


def center_of(unit):
    """The hotline center a unit works under: itself, or the nearest center above it."""
    while unit is not None and not unit.is_center:
        unit = unit.parent
    return unit


def threshold_of(center) -> int:
    """The rows above which an export of `center`'s people waits for approval."""
    policy = ExportPolicy.objects.filter(center=center).first()
    return policy.threshold if policy else DEFAULT_EXPORT_THRESHOLD


def direct_export_limit(user) -> int:
    """The most rows `user` may download at once without a request (the lists' own export
    links): the strictest threshold of the centers they work under."""
    centers = {c.pk: c for m in memberships(user) if (c := center_of(m.unit)) is not None}
    return min((threshold_of(c) for c in centers.values()), default=DEFAULT_EXPORT_THRESHOLD)


class ExportPolicy(models.Model):
    """A center's export threshold, set by the center's administrator."""

    center = models.OneToOneField(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="热线中心"
    )
    threshold = models.PositiveIntegerField("免审批导出行数上限", default=DEFAULT_EXPORT_THRESHOLD)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="修改人"
    )
    updated_at = models.DateTimeField("修改时间")

    class Meta:
        verbose_name = verbose_name_plural = "导出审批阈值"

    def __str__(self):
        return f"{self.center} {self.threshold}"


class ExportState(models.TextChoices):
    PENDING = "pending", "待审批"
    REFUSED = "refused", "已拒绝"
    BUILDING = "building", "生成中"
    READY = "ready", "可下载"
    DOWNLOADED = "downloaded", "已下载（链接已失效）"
    FAILED = "failed", "生成失败"
    EXPIRED = "expired", "已过期（文件已删除）"


class ExportRequest(models.Model):
    """One request to export a filtered ticket list: who, which filters, how many rows, why,
    masked or full; approved (or not needed), built in the background, downloaded once."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="申请人"
    )
    # The center whose leaders and auditors decide (the requester's own center).
    center = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="所属中心"
    )
    filters = models.JSONField("筛选条件", default=dict)
    filters_label = models.CharField("筛选条件说明", max_length=300, blank=True)
    row_count = models.PositiveIntegerField("行数")
    reason = models.CharField("导出理由", max_length=200)
    full = models.BooleanField("含完整个人信息", default=False)
    threshold = models.PositiveIntegerField("申请时阈值")
    needs_approval = models.BooleanField("须审批")
    state = models.CharField("状态", max_length=16, choices=ExportState.choices)
    created_at = models.DateTimeField("申请时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="审批人",
        null=True, blank=True,
    )  # fmt: skip
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    refusal = models.CharField("拒绝理由", max_length=200, blank=True)
    done = models.PositiveIntegerField("已生成行数", default=0)
    total = models.PositiveIntegerField("总行数", default=0)
    file_name = models.CharField(max_length=64, blank=True)
    # The tickets written into the file: a full export's download logs each of them.
    ticket_ids = models.JSONField(default=list, blank=True)
    downloaded_at = models.DateTimeField("下载时间", null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "导出申请"
        indexes = [
            models.Index(fields=["center", "state"], name="export_center_state"),
            models.Index(fields=["requester", "-created_at"], name="export_requester_at"),
        ]

    def __str__(self):
        return f"导出申请 #{self.pk}"

    @property
    def busy(self) -> bool:
        return self.state == ExportState.BUILDING

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class ExportAction(models.TextChoices):
    REQUESTED = "requested", "申请"
    APPROVED = "approved", "批准"
    REFUSED = "refused", "拒绝"
    DOWNLOADED = "downloaded", "下载"


class ExportEvent(models.Model):
    """The append-only log of bulk exports: each request, approval, refusal and download
    (guarded as PersonalDataView is: the model, the admin, and a PostgreSQL trigger)."""

    at = models.DateTimeField("时间")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="操作人"
    )
    request = models.ForeignKey(
        ExportRequest, models.PROTECT, related_name="events", verbose_name="导出申请"
    )
    center = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="所属中心"
    )
    action = models.CharField("操作", max_length=16, choices=ExportAction.choices)
    rows = models.PositiveIntegerField("行数")
    full = models.BooleanField("含完整个人信息")
    note = models.CharField("理由", max_length=200, blank=True)
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "导出记录"
        indexes = [models.Index(fields=["center", "-at"], name="exportevent_center_at")]

    def __str__(self):
        return f"#{self.request_id} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("导出记录只能追加，不能修改 / the export log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("导出记录不能删除 / the export log is append-only")
