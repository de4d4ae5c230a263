"""Routing data: category → department mapping, landmarks, and every dispatcher's decision."""

from django.conf import settings
from django.db import models

from hotline.orgs.demo import FUNCTIONS

FUNCTION_CHOICES = [(k, f"{v}（{k}）") for k, v in FUNCTIONS.items()]


class CategoryFunction(models.Model):
    """Which kind of department handles a category; the deepest mapped code wins.

    `function` "fallback" sends the category to the region's fallback unit (兜底) even when a
    shallower code is mapped, e.g. 教育文体/体育 while 教育文体 itself goes to 教育局.
    """

    category_code = models.CharField("分类编码", max_length=16, unique=True)
    category_name = models.CharField("分类名称", max_length=200, blank=True)
    function = models.CharField("职能部门类型", max_length=32, choices=FUNCTION_CHOICES)
    # Off by default: a wrong automatic dispatch costs a return and days of the citizen's time.
    auto_dispatch = models.BooleanField("自动派单", default=False)
    auto_threshold = models.FloatField("自动派单置信度阈值", default=0.9)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "分类与职能部门对应"
        ordering = ["category_code"]

    def __str__(self):
        return f"{self.category_code} {self.category_name} → {self.function}"


class Landmark(models.Model):
    """A place name (小区、市场、学校…) that pins a demand to a region."""

    name = models.CharField("地名", max_length=64, unique=True)
    region = models.ForeignKey("orgs.Region", models.CASCADE, verbose_name="所属区划")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "地标"
        ordering = ["name"]

    def __str__(self):
        return self.name


class DispatchDecision(models.Model):
    """What routing suggested when a dispatcher dispatched, and where the ticket really went."""

    ticket = models.ForeignKey(
        "tickets.Ticket", models.CASCADE, related_name="routing_decisions", verbose_name="工单"
    )
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    final_unit = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="实际派往单位"
    )
    suggested = models.JSONField("推荐单位", default=list)  # [{code, confidence}], best first
    category = models.CharField("预测分类", max_length=64, blank=True)
    confidence = models.FloatField("分类置信度", null=True, blank=True)
    region = models.CharField("识别区划", max_length=12, blank=True)
    accepted = models.BooleanField("采纳首选推荐")
    in_suggestions = models.BooleanField("在推荐之列")
    automatic = models.BooleanField("自动派单", default=False)
    model_version = models.CharField("模型版本", max_length=32, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="派单人"
    )
    decided_at = models.DateTimeField("派单时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "派单决策记录"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.ticket_id} → {self.final_unit_id}"


class DispatchCorrection(models.Model):
    """A dispatcher sent a ticket elsewhere than routing suggested: what the next model learns.

    The text stays on the ticket (referenced, not copied). `label` is the first-level category
    the correction teaches (the ticket's own category, else the one category mapped to the
    chosen unit's function; blank when neither says). `frozen` marks a ticket whose text is in
    the frozen test split: it is kept as a record but never trains (learning.py checks again).
    """

    decision = models.OneToOneField(
        DispatchDecision, models.CASCADE, related_name="correction", verbose_name="派单决策"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", models.CASCADE, related_name="routing_corrections", verbose_name="工单"
    )
    suggested_unit = models.CharField("推荐单位编码", max_length=64, blank=True)
    suggested_category = models.CharField("推荐分类", max_length=64, blank=True)
    final_unit = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="实际派往单位"
    )
    label = models.CharField("纠正后分类", max_length=64, blank=True)
    frozen = models.BooleanField("属冻结测试集（不参与训练）", default=False)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "派单纠正"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.ticket_id}: {self.suggested_category} → {self.label or '?'}"


class ModelKind(models.TextChoices):
    ROUTING = "routing", "派单分类"
    REPLIES = "replies", "答复审查"


class ModelVersion(models.Model):
    """One retrained model and its figures on the frozen test split; deployed or not, and why.

    `f1` is macro-F1 over the first-level categories for routing, and the send-back class's F1
    for reply review (the figure each bench reports); precision and recall likewise.
    """

    kind = models.CharField("模型", max_length=16, choices=ModelKind.choices)
    version = models.CharField("版本", max_length=32)
    trained_at = models.DateTimeField("训练时间")
    n_train = models.PositiveIntegerField("训练样本数")
    n_corrections = models.PositiveIntegerField("其中纠正样本", default=0)
    n_excluded = models.PositiveIntegerField("排除的冻结集纠正", default=0)
    n_test = models.PositiveIntegerField("冻结测试集样本数")
    f1 = models.FloatField("F1（派单为 macro-F1）")
    precision = models.FloatField("精确率")
    recall = models.FloatField("召回率")
    active_version = models.CharField("当时启用版本", max_length=32, blank=True)
    active_f1 = models.FloatField("启用版本 F1", null=True, blank=True)
    deployed = models.BooleanField("已启用")
    reason = models.CharField("说明", max_length=300)
    figures = models.JSONField("详细指标", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "模型版本"
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="modelversion_kind_version")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.version}"
