"""Categories, appeal types, urgencies, time-limit policies and the working-day calendar."""

from django.db import models


class AppealType(models.TextChoices):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"
    PRAISE = "praise", "表扬"
    OTHER = "other", "其他"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    CRITICAL = "critical", "特急"


class Category(models.Model):
    """A node of the three-level category tree (诉求分类)."""

    code = models.CharField("编码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("层级")
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name="上级"
    )
    # Names from the root, "城乡建设/安全生产/事故处理": shown in lists, searched by agents.
    full_name = models.CharField("全称", max_length=200)
    # Demands about water, power, gas or heating get the short utility acknowledgement limit.
    is_utility = models.BooleanField("水电气暖", default=False)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "诉求分类"
        ordering = ["code"]

    def __str__(self):
        return self.full_name


class LimitUnit(models.TextChoices):
    MINUTES = "minutes", "分钟（自然时间）"
    HOURS = "hours", "小时（自然时间）"
    WORKING_HOURS = "working_hours", "工作小时"
    WORKING_DAYS = "working_days", "工作日"


class TimeLimitPolicy(models.Model):
    """Acknowledge and handling limits for one appeal type and urgency.

    A row with a region overrides the province default for that region and the regions
    below it; a row with `utility_only` applies only to water/power/gas/heating categories.
    """

    appeal_type = models.CharField("诉求类型", max_length=16, choices=AppealType.choices)
    urgency = models.CharField("紧急程度", max_length=16, choices=Urgency.choices)
    utility_only = models.BooleanField("仅水电气暖", default=False)
    region = models.ForeignKey(
        "orgs.Region", models.CASCADE, null=True, blank=True, verbose_name="适用区划"
    )
    ack_value = models.PositiveIntegerField("签收时限")
    ack_unit = models.CharField("签收时限单位", max_length=16, choices=LimitUnit.choices)
    handle_value = models.PositiveIntegerField("办理时限")
    handle_unit = models.CharField("办理时限单位", max_length=16, choices=LimitUnit.choices)
    max_extensions = models.PositiveSmallIntegerField("最多延期次数", default=3)
    max_extension_days = models.PositiveSmallIntegerField("每次最多延期工作日", default=3)
    reopen_window_days = models.PositiveSmallIntegerField("办结后可重办天数", default=15)
    due_soon_ratio = models.FloatField("临期提醒比例", default=0.2)

    class Meta:
        verbose_name = verbose_name_plural = "时限规则"
        constraints = [
            models.UniqueConstraint(
                fields=["appeal_type", "urgency", "utility_only", "region"],
                name="uniq_policy",
            ),
            # NULLs are distinct in a unique index, so the constraint above lets two province
            # defaults (region NULL) for the same key coexist; this one forbids that.
            models.UniqueConstraint(
                fields=["appeal_type", "urgency", "utility_only"],
                condition=models.Q(region__isnull=True),
                name="uniq_policy_province_default",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_appeal_type_display()}·{self.get_urgency_display()}"
            f"{'·水电气暖' if self.utility_only else ''}"
        )


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "法定节假日"
    WORKDAY = "workday", "调休上班"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a holiday, or a weekend made a workday (调休)."""

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=16, choices=DayKind.choices)
    name = models.CharField("名称", max_length=32, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"
