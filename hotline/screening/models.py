"""Screening data: lexicons (versioned), risk assessments, alerts, hand-overs to the police,
near-duplicate signatures, repeated complaints and reply reviews."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .kinds import DEFAULT_LEVEL, LEVEL_RANK, Category, Level, Verdict  # noqa: F401


class LexiconTerm(models.Model):
    """One word of a lexicon. Deactivated, never deleted: the change log refers to it."""

    term = models.CharField("词语", max_length=32)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    level = models.CharField("风险等级", max_length=8, choices=Level.choices)
    homophones = models.BooleanField("匹配拼音/谐音", default=False)
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name="更新人"
    )

    class Meta:
        verbose_name = verbose_name_plural = "词库词条"
        constraints = [
            models.UniqueConstraint(fields=["term", "category"], name="uniq_lexicon_term")
        ]
        ordering = ["category", "term"]

    def __str__(self):
        return f"{self.term}（{self.get_category_display()}）"


class LexiconVersion(models.Model):
    """Each edit of the lexicons is one version; matchers rebuild when the number moves."""

    number = models.PositiveIntegerField("版本号", unique=True)
    summary = models.CharField("变更摘要", max_length=300)
    changes = models.JSONField("变更明细", default=list)
    created_at = models.DateTimeField("时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name="操作人"
    )

    class Meta:
        verbose_name = verbose_name_plural = "词库版本"
        ordering = ["-number"]

    def __str__(self):
        return f"v{self.number} {self.summary}"


class RiskAssessment(models.Model):
    """The screening verdict of a demand at registration: level, flags and the hits."""

    ticket = models.OneToOneField(
        "tickets.Ticket", models.CASCADE, related_name="risk", verbose_name="工单"
    )
    level = models.CharField("风险等级", max_length=8, choices=Level.choices, db_index=True)
    flags = models.JSONField("风险类别", default=list)
    hits = models.JSONField("命中词", default=list)
    lexicon_version = models.PositiveIntegerField("词库版本", default=0)
    created_at = models.DateTimeField("甄别时间")

    class Meta:
        verbose_name = verbose_name_plural = "风险甄别结果"

    def __str__(self):
        return f"{self.ticket_id} {self.get_level_display()}"


class AlertKind(models.TextChoices):
    RED_DEMAND = "red_demand", "红色风险诉求"
    STALLED = "stalled", "风险工单停滞"
    REPEAT = "repeat", "反复投诉未解决"


class RiskAlert(models.Model):
    """An in-app alert to the people of a unit with a role; delivery is the notifications'
    business (it reads the undelivered rows and sets delivered_at)."""

    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="risk_alerts")
    kind = models.CharField("类型", max_length=16, choices=AlertKind.choices)
    unit = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="接收单位")
    role = models.CharField("接收角色", max_length=16)
    message = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField("时间", db_index=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "风险预警"
        constraints = [
            # One alert of a kind per ticket: sweeps and retries must not repeat it.
            models.UniqueConstraint(fields=["ticket", "kind"], name="uniq_alert_ticket_kind")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.ticket_id}"


class PoliceHandover(models.Model):
    """A recorded hand-over of a risky demand to public security (移交公安)."""

    ticket = models.ForeignKey("tickets.Ticket", models.PROTECT, related_name="police_handovers")
    police_unit = models.CharField("接收公安机关", max_length=100)
    contact = models.CharField("接收人及联系方式", max_length=100)
    summary = models.TextField("移交内容")
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="移交人"
    )
    handed_unit = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="移交单位"
    )
    handed_at = models.DateTimeField("移交时间")

    class Meta:
        verbose_name = verbose_name_plural = "移交公安记录"

    def __str__(self):
        return f"{self.ticket_id} → {self.police_unit}"


class DuplicateSignature(models.Model):
    """The MinHash signature of a demand (one-permutation hashing, packed 32-bit bins)."""

    # Derived rows (the ticket's text gives them again), written by every registration: no
    # foreign key in the database. Django's CASCADE still deletes them with their ticket;
    # the database's deferred checks of this key and the bands' were about 4 % of its CPU
    # per registration (perf, docs/benchmarks.md, 2026-12-07).
    ticket = models.OneToOneField(
        "tickets.Ticket", models.CASCADE, primary_key=True, related_name="+", db_constraint=False
    )
    signature = models.BinaryField()
    scope = models.CharField("范围（市级区划）", max_length=12)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "重复件签名"

    def __str__(self):
        return f"{self.ticket_id} {self.scope}"


class DuplicateBand(models.Model):
    """One LSH band key of a signature: equal keys are the only candidates (no scan)."""

    # No foreign key in the database, as DuplicateSignature (up to 16 rows a registration).
    ticket = models.ForeignKey(
        "tickets.Ticket", models.CASCADE, related_name="+", db_constraint=False
    )
    key = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "重复件索引"
        indexes = [models.Index(fields=["key", "created_at"], name="dupband_key_time")]

    def __str__(self):
        return f"{self.ticket_id} {self.key}"


class RepeatCase(models.Model):
    """反复投诉未解决: the same caller's demand three or more times in the window, unresolved.
    Its tickets are `RepeatHit` rows, inserted and never updated: a caller who repeats a
    demand in a surge must not make registrations queue on one row lock."""

    first_ticket = models.OneToOneField(
        "tickets.Ticket", models.CASCADE, related_name="repeat_case", verbose_name="首次工单"
    )
    scope = models.CharField("范围（市级区划）", max_length=12)
    first_at = models.DateTimeField("首次时间")
    created_at = models.DateTimeField("立案时间", default=timezone.now, db_index=True)
    is_open = models.BooleanField("未解决", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "反复投诉未解决"

    def __str__(self):
        return f"{self.first_ticket_id}"


class RepeatHit(models.Model):
    """One ticket of a repeat case (the first one included)."""

    case = models.ForeignKey(RepeatCase, models.CASCADE, related_name="hits")
    ticket = models.OneToOneField(
        "tickets.Ticket", models.CASCADE, related_name="repeat_hit", verbose_name="工单"
    )
    created_at = models.DateTimeField("受理时间")

    class Meta:
        verbose_name = verbose_name_plural = "反复投诉工单"

    def __str__(self):
        return f"{self.case_id}:{self.ticket_id}"


class ReplyReview(models.Model):
    """The automatic check of one reply; the reviewer sees it, block stops the reply."""

    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="reply_reviews")
    verdict = models.CharField("结论", max_length=8, choices=Verdict.choices)
    score = models.PositiveSmallIntegerField("得分")
    reasons = models.JSONField("原因", default=list)
    # TipDM 2020 scores (relevance, completeness, explainability, 0–100) and the learned
    # scorer's probability that the reply should go back (reply_model.py).
    scores = models.JSONField("评分", default=dict, blank=True)
    probability = models.FloatField("退回概率", null=True, blank=True)
    body = models.TextField("答复内容")
    created_at = models.DateTimeField("时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "答复审查"
        indexes = [models.Index(fields=["ticket", "-id"], name="replyreview_ticket")]

    def __str__(self):
        return f"{self.ticket_id} {self.get_verdict_display()}"


class ReviewCorrection(models.Model):
    """A reviewer decided against the automatic review: what the next reply scorer learns.

    The reply's text stays on its ReplyReview (referenced, not copied). `send_back` is the
    reviewer's decision, the label. `frozen` marks a reply whose text is in the frozen test
    split: kept as a record, never trained on.
    """

    review = models.ForeignKey(
        ReplyReview, models.CASCADE, related_name="corrections", verbose_name="自动审查"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", models.CASCADE, related_name="review_corrections", verbose_name="工单"
    )
    machine_verdict = models.CharField("自动结论", max_length=8, choices=Verdict.choices)
    send_back = models.BooleanField("审核员退回")
    frozen = models.BooleanField("属冻结测试集（不参与训练）", default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="审核员"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核纠正"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.ticket_id}: {self.machine_verdict} → {'退回' if self.send_back else '通过'}"
