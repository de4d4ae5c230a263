"""Early warnings (预警): spikes, emerging topics and geographic concentration."""

from django.db import models


class WarningKind(models.TextChoices):
    SPIKE = "spike", "诉求突增"
    EMERGING = "emerging", "新发热点"
    CONCENTRATION = "concentration", "区域集中"


class WarningLevel(models.TextChoices):
    RED = "red", "红色"
    ORANGE = "orange", "橙色"
    YELLOW = "yellow", "黄色"


class EarlyWarning(models.Model):
    """One finding of a detector; `fingerprint` makes a re-run update it, not add another."""

    kind = models.CharField("类型", max_length=16, choices=WarningKind.choices)
    level = models.CharField("级别", max_length=8, choices=WarningLevel.choices)
    title = models.CharField("标题", max_length=200)
    region = models.ForeignKey(
        "orgs.Region", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="区划"
    )
    category = models.ForeignKey(
        "catalog.Category", models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="诉求分类",
    )  # fmt: skip
    day = models.DateField("日期", db_index=True)
    fingerprint = models.CharField(max_length=160, unique=True)
    score = models.FloatField("显著性（−log10 p）", default=0)
    # Counts, baseline, expected, p-value, method, window: what the page shows as evidence.
    evidence = models.JSONField("依据", default=dict)
    tickets = models.ManyToManyField("tickets.Ticket", related_name="+", verbose_name="相关工单")
    created_at = models.DateTimeField("生成时间")
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = verbose_name_plural = "预警"
        ordering = ["-day", "-score", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.title}"
