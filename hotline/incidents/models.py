"""Surges (突发事件): incidents and their 口径, grouped tickets and the reply that reaches every
citizen, the province-wide overflow pool, temporary agents, duty rosters and urgent reports.

A ticket is never changed here: marks and groups point at tickets; every change of a ticket goes
through tickets.lifecycle. Times are UTC.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from hotline.crypto import EncryptedTextField


class IncidentState(models.TextChoices):
    ACTIVE = "active", "进行中"
    CLOSED = "closed", "已结束"


class Incident(models.Model):
    """A surge a center declared for its regions (the province for any)."""

    name = models.CharField("事件名称", max_length=100)
    center = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="宣布中心"
    )
    regions = models.ManyToManyField("orgs.Region", related_name="+", verbose_name="涉及区划")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间", null=True, blank=True)
    keywords = models.JSONField("关键词", default=list)
    # First-level category codes the classifier must name for a keyword-less match.
    categories = models.JSONField("相关分类", default=list, blank=True)
    examples = models.JSONField("典型诉求", default=list)
    state = models.CharField(
        "状态", max_length=8, choices=IncidentState.choices, default=IncidentState.ACTIVE
    )
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    declared_at = models.DateTimeField("宣布时间")
    # The pinned knowledge entry carrying the approved 口径 (one entry, new text each version).
    article = models.ForeignKey(
        "knowledge.Article", models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Tickets above this id have been checked against the incident (the marking sweep).
    checked_up_to = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "突发事件"
        indexes = [models.Index(fields=["state"], name="incident_state")]

    def __str__(self):
        return self.name


class ScriptState(models.TextChoices):
    DRAFT = "draft", "待审批"
    APPROVED = "approved", "已发布"
    SUPERSEDED = "superseded", "已替换"


class Script(models.Model):
    """One version of an incident's official answer (口径); agents see only the approved one."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="scripts")
    version = models.PositiveIntegerField("版本")
    body = models.TextField("口径内容")
    state = models.CharField("状态", max_length=12, choices=ScriptState.choices)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    written_at = models.DateTimeField("撰写时间")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "口径"
        constraints = [
            models.UniqueConstraint(fields=["incident", "version"], name="uniq_script_version"),
            models.UniqueConstraint(
                fields=["incident"], condition=Q(state="approved"), name="one_approved_script"
            ),
        ]

    def __str__(self):
        return f"{self.incident_id} v{self.version}"


class MatchSource(models.TextChoices):
    KEYWORD = "keyword", "关键词"
    CLASSIFIER = "classifier", "分类模型"
    AGENT = "agent", "话务员按口径办结"


class IncidentTicket(models.Model):
    """A ticket marked as the incident's."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="marks")
    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="+")
    source = models.CharField("识别方式", max_length=12, choices=MatchSource.choices)
    words = models.JSONField("命中词", default=list)
    # Closed at first contact from the 口径 (直接办结), and which version answered it.
    at_intake = models.BooleanField("直接办结", default=False)
    script_version = models.PositiveIntegerField(null=True, blank=True)
    marked_at = models.DateTimeField("标记时间")
    # The hour the demand came in (local), for the board's volume per hour.
    created_at = models.DateTimeField("受理时间")

    class Meta:
        verbose_name = verbose_name_plural = "事件工单"
        constraints = [
            models.UniqueConstraint(fields=["incident", "ticket"], name="uniq_incident_ticket")
        ]
        indexes = [models.Index(fields=["incident", "created_at"], name="incident_ticket_time")]

    def __str__(self):
        return f"{self.incident_id}:{self.ticket_id}"


class TicketGroup(models.Model):
    """并单: the incident's tickets for one unit, merged into one parent that the unit handles."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="groups")
    parent = models.OneToOneField("tickets.Ticket", models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("并单时间")
    size = models.PositiveIntegerField("工单数", default=1)
    fanned_out_at = models.DateTimeField("答复送达时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "并单组"

    def __str__(self):
        return f"{self.incident_id} → {self.parent_id}"


class DeliveryStatus(models.TextChoices):
    SENT = "sent", "已发送"
    NO_PHONE = "no_phone", "无手机号"
    FAILED = "failed", "发送失败"


class ReplyDelivery(models.Model):
    """The parent's reply sent to one citizen of the group (one row per ticket)."""

    group = models.ForeignKey(TicketGroup, models.CASCADE, related_name="deliveries")
    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="+")
    # The number the reply was sent to, SM4-encrypted (hotline/crypto.py, issue 18).
    phone = EncryptedTextField("手机号", max_length=20, blank=True)
    status = models.CharField("状态", max_length=10, choices=DeliveryStatus.choices)
    error = models.CharField("错误", max_length=200, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "答复送达"
        constraints = [
            models.UniqueConstraint(fields=["group", "ticket"], name="uniq_reply_delivery")
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.status}"


class OverflowRule(models.Model):
    """When a center's queue passes either threshold its calls overflow to the pool."""

    center = models.OneToOneField("orgs.Unit", models.CASCADE, related_name="+")
    max_waiting = models.PositiveIntegerField("排队数阈值", default=20)
    max_wait_seconds = models.PositiveIntegerField("最长等待阈值（秒）", default=60)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "溢出规则"

    def __str__(self):
        return f"{self.center_id} >{self.max_waiting} / >{self.max_wait_seconds}s"


class PoolMember(models.Model):
    """An agent marked for overflow: takes other cities' calls when their queue overflows."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    home_center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+")
    is_active = models.BooleanField("在池中", default=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    marked_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "省级统筹座席"

    def __str__(self):
        return str(self.user_id)


class OverflowRegistration(models.Model):
    """A ticket a pool agent registered on another city's behalf (kept for the record)."""

    ticket = models.OneToOneField("tickets.Ticket", models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    home_center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+")
    for_center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+")
    call = models.ForeignKey("calls.Call", models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "溢出代登记"

    def __str__(self):
        return f"{self.ticket_id} by {self.agent_id}"


class TemporaryAgent(models.Model):
    """A 机关干部 or volunteer enrolled for one incident: no role in any unit, so the scope
    (orgs.scope) shows them no ticket; they see the incident's 口径 and their own tickets,
    which wait at the center (待受理) until its staff accept them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, models.CASCADE, related_name="temporary_agents")
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+")
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    enrolled_at = models.DateTimeField()
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "临时座席"

    def __str__(self):
        return str(self.user_id)


class DutyShift(models.Model):
    """值班: who is the duty officer of a center from when to when."""

    center = models.ForeignKey("orgs.Unit", models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    starts_at = models.DateTimeField("开始")
    ends_at = models.DateTimeField("结束")

    class Meta:
        verbose_name = verbose_name_plural = "值班表"
        indexes = [models.Index(fields=["center", "starts_at"], name="duty_center_start")]

    def __str__(self):
        return f"{self.center_id} {self.user_id}"


class ReportState(models.TextChoices):
    WAITING = "waiting", "待签收"
    ACKNOWLEDGED = "acknowledged", "已签收"
    MERGED = "merged", "已合并"


class UrgentReport(models.Model):
    """紧急信息: travels up from center to center until the province; merged on the way."""

    what = models.CharField("事件", max_length=200)
    place = models.CharField("地点", max_length=200)
    people = models.PositiveIntegerField("涉及人数", default=0)
    risk = models.CharField("风险", max_length=500, blank=True)
    incident = models.ForeignKey(
        Incident, models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    origin = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    raised_at = models.DateTimeField("报送时间")
    # Where it waits now (a center above the origin) and until when it must be acknowledged.
    at_center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=14, choices=ReportState.choices)
    due_at = models.DateTimeField("签收时限", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="merged"
    )
    key = models.CharField(max_length=200, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "紧急信息"
        indexes = [models.Index(fields=["state", "due_at"], name="urgent_due")]

    def __str__(self):
        return self.what


class ReportStep(models.Model):
    """Every step of an urgent report, append-only."""

    report = models.ForeignKey(UrgentReport, models.CASCADE, related_name="steps")
    action = models.CharField("环节", max_length=16)
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField("说明", max_length=500, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "紧急信息流转"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.report_id} {self.action}"
