"""Spot checks of agents' work (质量抽查): checkers, rubrics, weekly samples, scores, appeals.

A checker is appointed at a center (a quality role kept here, not in orgs.Role, so that the
orgs app's role list stays the one of the ticket lifecycle). A sample item is one ticket an
agent registered; it is scored by a checker on every line of the center's rubric, the agent
may appeal once, and a second checker's score then decides.
"""

from django.conf import settings
from django.db import models


class Checker(models.Model):
    """A user appointed as quality checker (质检员) of a hotline center."""

    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+",
                             verbose_name="质检员")  # fmt: skip
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "质检员"
        constraints = [models.UniqueConstraint(fields=["center", "user"], name="uniq_checker")]

    def __str__(self):
        return f"{self.user} @ {self.center}"


class Plan(models.Model):
    """What a center samples each week: items per agent (random part) and who is sampled."""

    center = models.OneToOneField("orgs.Unit", models.PROTECT, related_name="+",
                                  verbose_name="中心")  # fmt: skip
    per_agent = models.PositiveSmallIntegerField("每名话务员随机抽取件数", default=5)
    weekly = models.BooleanField("每周自动抽取", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "抽查方案"

    def __str__(self):
        return f"{self.center} ×{self.per_agent}"


class RubricLine(models.Model):
    """One line of a center's rubric (评分细则): what is checked and its points."""

    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    code = models.SlugField("编码", max_length=32)
    label = models.CharField("评分项", max_length=100)
    points = models.PositiveSmallIntegerField("分值")
    order = models.PositiveSmallIntegerField("顺序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "评分细则"
        ordering = ["center", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["center", "code"], name="uniq_rubric_line")]

    def __str__(self):
        return f"{self.label}（{self.points}分）"


class Sample(models.Model):
    """The sample of one center for one week (Monday, local date); drawn once."""

    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    week = models.DateField("周（周一）")
    per_agent = models.PositiveSmallIntegerField("每人随机件数")
    drawn_at = models.DateTimeField("抽取时间")
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                 blank=True, related_name="+")  # fmt: skip
    agents = models.PositiveIntegerField("话务员数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "抽查批次"
        constraints = [models.UniqueConstraint(fields=["center", "week"], name="uniq_sample")]

    def __str__(self):
        return f"{self.center} {self.week}"


class Reason(models.TextChoices):
    RANDOM = "random", "随机抽取"
    RETURNED = "returned", "被退单"
    REOPENED = "reopened", "被重办"
    COMPLAINED = "complained", "回访不满意"


class ItemState(models.TextChoices):
    PENDING = "pending", "待评分"
    SCORED = "scored", "已评分"
    APPEALED = "appealed", "申诉中"
    DECIDED = "decided", "申诉已复核"


class SampleItem(models.Model):
    """One sampled ticket of one agent, its checker and its final score."""

    sample = models.ForeignKey(Sample, models.CASCADE, related_name="items")
    ticket = models.ForeignKey("tickets.Ticket", models.PROTECT, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name="话务员")  # fmt: skip
    reason = models.CharField("抽取原因", max_length=12, choices=Reason.choices)
    stratum = models.CharField("分层", max_length=48, blank=True)
    # The call the ticket was registered on, whose recording the checker listens to.
    call = models.ForeignKey("calls.Call", models.SET_NULL, null=True, blank=True,
                             related_name="+")  # fmt: skip
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name="质检员")  # fmt: skip
    state = models.CharField("状态", max_length=12, choices=ItemState.choices,
                             default=ItemState.PENDING)  # fmt: skip
    # Final score in percent of the rubric's points: the first score, or the second checker's.
    score = models.DecimalField("得分", max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "抽查工单"
        constraints = [
            models.UniqueConstraint(fields=["sample", "ticket"], name="uniq_sample_ticket")
        ]
        indexes = [
            models.Index(fields=["checker", "state"], name="quality_item_checker"),
            models.Index(fields=["agent", "state"], name="quality_item_agent"),
        ]

    def __str__(self):
        return f"{self.sample_id}:{self.ticket_id}"


class ScoreKind(models.TextChoices):
    FIRST = "first", "初评"
    SECOND = "second", "复核"


class Score(models.Model):
    """One checker's score of one item: a line per rubric line, with comments."""

    item = models.ForeignKey(SampleItem, models.CASCADE, related_name="scores")
    kind = models.CharField("类别", max_length=8, choices=ScoreKind.choices)
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    total = models.DecimalField("得分", max_digits=5, decimal_places=2)
    comment = models.TextField("评语", blank=True)
    created_at = models.DateTimeField("评分时间")

    class Meta:
        verbose_name = verbose_name_plural = "评分"
        constraints = [models.UniqueConstraint(fields=["item", "kind"], name="uniq_score_kind")]

    def __str__(self):
        return f"{self.item_id} {self.kind} {self.total}"


class ScoreLine(models.Model):
    score = models.ForeignKey(Score, models.CASCADE, related_name="lines")
    line = models.ForeignKey(RubricLine, models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField("得分")
    # A line scored below its full points is a fault (差错), counted in the monthly report.
    fault = models.BooleanField("差错")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "评分明细"
        constraints = [models.UniqueConstraint(fields=["score", "line"], name="uniq_score_line")]

    def __str__(self):
        return f"{self.line_id}={self.points}"


class AppealState(models.TextChoices):
    PENDING = "pending", "待复核"
    CHANGED = "changed", "改判"
    KEPT = "kept", "维持原评"


class Appeal(models.Model):
    """The agent's one appeal against an item's score, decided by a second checker."""

    item = models.OneToOneField(SampleItem, models.CASCADE, related_name="appeal")
    reason = models.TextField("申诉理由")
    created_at = models.DateTimeField("申诉时间")
    state = models.CharField("状态", max_length=8, choices=AppealState.choices,
                             default=AppealState.PENDING)  # fmt: skip
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "质检申诉"

    def __str__(self):
        return f"{self.item_id} {self.state}"
