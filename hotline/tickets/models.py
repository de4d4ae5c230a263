"""The ticket aggregate (工单): the ticket, its assignments, requests, replies and history."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from hotline.catalog.models import AppealType, Urgency
from hotline.crypto import EncryptedTextField, PhoneHashField, phone_hash


class Status(models.TextChoices):
    REGISTERED = "registered", "待受理"
    PENDING_DISPATCH = "pending_dispatch", "待派单"
    DISPATCHED = "dispatched", "待签收"
    IN_PROGRESS = "in_progress", "办理中"
    RETURN_REQUESTED = "return_requested", "退单待审"
    REPLIED = "replied", "待审核"
    REVIEWED = "reviewed", "待回访"
    CLOSED = "closed", "已办结"
    MERGED = "merged", "已并单"
    INVALID = "invalid", "无效"


OPEN_STATUSES = [
    Status.REGISTERED,
    Status.PENDING_DISPATCH,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.RETURN_REQUESTED,
    Status.REPLIED,
    Status.REVIEWED,
]


class Channel(models.TextChoices):
    PHONE = "phone", "电话"
    WEB = "web", "网站"
    APP = "app", "移动应用"
    WECHAT = "wechat", "微信"
    MAILBOX = "mailbox", "信箱"
    SUBCENTER = "subcenter", "分中心"
    OPEN311 = "open311", "Open311"
    OTHER = "other", "其他"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY = "basically", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"
    UNREACHABLE = "unreachable", "联系不上"


class Ticket(models.Model):
    number = models.CharField("工单编号", max_length=24)
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices)
    # NULL, not "": tickets without a channel reference must not collide in the unique pair.
    external_ref = models.CharField("外部编号", max_length=64, null=True, blank=True)  # noqa: DJ001
    status = models.CharField("状态", max_length=20, choices=Status.choices)

    # Personal data, SM4-encrypted at rest (hotline/crypto.py); by phone through phone_q().
    citizen_name = EncryptedTextField("诉求人", max_length=64, blank=True)
    citizen_phone = EncryptedTextField("联系电话", max_length=20, blank=True)
    citizen_phone_hash = PhoneHashField(source="citizen_phone")
    anonymous = models.BooleanField("匿名", default=False)
    confidential = models.BooleanField("保密", default=False)

    appeal_type = models.CharField("诉求类型", max_length=16, choices=AppealType.choices)
    category = models.ForeignKey(
        "catalog.Category", models.PROTECT, null=True, blank=True, verbose_name="诉求分类"
    )
    title = models.CharField("标题", max_length=200)
    content = models.TextField("诉求内容")
    region = models.ForeignKey(
        "orgs.Region",
        models.PROTECT,
        null=True,
        blank=True,
        verbose_name="所属区划",
        db_index=False,  # ticket_region leads with it
    )
    address = EncryptedTextField("地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    urgency = models.CharField("紧急程度", max_length=16, choices=Urgency.choices)

    # The center that owns dispatch, review and callback of the ticket right now.
    center = models.ForeignKey(
        "orgs.Unit",
        models.PROTECT,
        related_name="held_tickets",
        verbose_name="责任中心",
        db_index=False,  # ticket_center_status leads with it
    )
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="led_tickets",
        verbose_name="主办单位",
        db_index=False,  # ticket_lead_status leads with it
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, verbose_name="受理人"
    )

    created_at = models.DateTimeField("受理时间")
    updated_at = models.DateTimeField("更新时间")
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    ack_deadline = models.DateTimeField("签收时限", null=True, blank=True)
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    handle_deadline = models.DateTimeField("办理时限", null=True, blank=True, db_index=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    reply = models.TextField("答复内容", blank=True)
    resolved = models.BooleanField("是否解决", null=True, blank=True)
    satisfaction = models.CharField(
        "满意度", max_length=16, choices=Satisfaction.choices, blank=True
    )
    extension_count = models.PositiveSmallIntegerField("延期次数", default=0)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    return_count = models.PositiveSmallIntegerField("退单次数", default=0)
    is_supervised = models.BooleanField("督办", default=False)
    risk_level = models.CharField("风险等级", max_length=8, blank=True)
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_tickets",
        verbose_name="并入工单",
        db_index=False,  # ticket_merged: the few merged tickets only
    )
    # The hash of the newest event, so that the next one chains to it without a lookup.
    last_event_hash = models.CharField(max_length=64, editable=False)
    event_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "工单"
        # Every index is paid on every registration (a batch of a thousand pays it a thousand
        # times): no index another one leads with, and none of the LIKE companions that
        # unique=True and db_index=True add to text columns on PostgreSQL (nothing searches
        # numbers, phones or statuses by pattern).
        constraints = [
            models.UniqueConstraint(fields=["number"], name="uniq_ticket_number"),
            models.UniqueConstraint(
                fields=["channel", "external_ref"], name="uniq_channel_external_ref"
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="ticket_status"),
            models.Index(fields=["citizen_phone_hash"], name="ticket_citizen_phone_hash"),
            models.Index(
                fields=["merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="ticket_merged",
            ),
            models.Index(fields=["center", "status", "-id"], name="ticket_center_status"),
            models.Index(fields=["region", "-id"], name="ticket_region"),
            models.Index(fields=["lead_unit", "status"], name="ticket_lead_status"),
            # Range scans by registration time (reports, the dashboard, analytics) read the
            # columns they group by from the index alone on PostgreSQL (INCLUDE); elsewhere
            # it is a plain index on created_at.
            models.Index(
                fields=["created_at"],
                include=["satisfaction", "channel", "category", "region"],
                name="ticket_created_cover",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


_PERSONAL = [Ticket._meta.get_field(n) for n in ("citizen_name", "citizen_phone", "address")]


def stored_personal(name: str, phone: str, address: str) -> tuple[str, str, str, str]:
    """What a ticket row stores for a citizen's name, phone, the phone's hash and address:
    for loaders that write rows without the ORM (the bulk loader's COPY)."""
    name_f, phone_f, address_f = _PERSONAL
    return (
        name_f.encrypt_value(name),
        phone_f.encrypt_value(phone),
        phone_hash(phone),
        address_f.encrypt_value(address),
    )


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "主办"
    ASSIST = "assist", "协办"


class Assignment(models.Model):
    """A unit working on a ticket; sub-dispatch keeps the parent's assignment active."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="assignments")
    role = models.CharField("角色", max_length=8, choices=AssignmentRole.choices)
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, related_name="children"
    )
    is_active = models.BooleanField(default=True)
    assigned_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "承办记录"
        indexes = [models.Index(fields=["unit", "is_active", "ticket"], name="assignment_unit")]

    def __str__(self):
        return f"{self.unit_id} {self.get_role_display()}"


class RequestKind(models.TextChoices):
    RETURN = "return", "退单"
    EXTENSION = "extension", "延期"


class RequestState(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已同意"
    REJECTED = "rejected", "已驳回"


class TicketRequest(models.Model):
    """A unit's request to give a ticket back or to get more time, and its decision."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="requests")
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    state = models.CharField(max_length=16, choices=RequestState.choices)
    unit = models.ForeignKey("orgs.Unit", models.PROTECT)
    reason = models.TextField()
    days = models.PositiveSmallIntegerField(null=True, blank=True)
    # The status to go back to when a return is rejected.
    prior_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "退单与延期申请"

    def __str__(self):
        return f"{self.get_kind_display()}·{self.get_state_display()}"


def _attachment_path(instance, filename) -> str:
    # A random name on disk: the uploader's name is kept in the row, never trusted as a path.
    suffix = Path(filename).suffix.lower()
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file kept with a ticket (附件): a citizen's photo, a unit's document."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey("orgs.Unit", models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "附件"

    def __str__(self):
        return self.name


class ApprovalState(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已同意"
    REJECTED = "rejected", "已驳回"
    WITHDRAWN = "withdrawn", "已撤回"


class LeaderApproval(models.Model):
    """A handler's reply, extension request or return request held in the unit until its
    leader (分管领导) approves it; the ticket's status does not move meanwhile (a mark, not a
    status). Approved, the leader's approval performs the transition."""

    class Action(models.TextChoices):
        REPLY = "reply", "答复"
        EXTENSION = "request_extension", "申请延期"
        RETURN = "request_return", "申请退单"

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="approvals")
    unit = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="单位")
    action = models.CharField("事项", max_length=24, choices=Action.choices)
    # The transition's own input: {"body"} / {"days", "reason"} / {"reason"}.
    payload = models.JSONField("内容")
    state = models.CharField("状态", max_length=16, choices=ApprovalState.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("提交时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "分管领导审批"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "unit"],
                condition=models.Q(state="pending"),
                name="one_pending_approval",
            )
        ]
        indexes = [models.Index(fields=["unit", "state"], name="approval_unit_state")]

    def __str__(self):
        return f"{self.get_action_display()}·{self.get_state_display()}"


class TicketEvent(models.Model):
    """One entry of the append-only, hash-chained history of a ticket."""

    # uniq_event_seq (ticket, seq) is its index.
    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_unit = models.ForeignKey(
        "orgs.Unit", models.PROTECT, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "工单流转记录"
        constraints = [models.UniqueConstraint(fields=["ticket", "seq"], name="uniq_event_seq")]
        ordering = ["ticket", "seq"]

    def __str__(self):
        return f"{self.ticket_id}#{self.seq} {self.action}"


class NumberCounter(models.Model):
    """The last ticket sequence handed out per region code and day."""

    key = models.CharField(max_length=16, primary_key=True)
    value = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key}={self.value}"
