"""Scorecard weights (考评权重), editable per unit level and unit type."""

from django.db import models


class ScoreWeight(models.Model):
    """Weights of the three rates in the total; blank level or kind means "any"."""

    level = models.CharField("层级", max_length=16, blank=True)
    unit_kind = models.CharField("单位类型", max_length=16, blank=True)
    response = models.PositiveSmallIntegerField("响应率权重", default=30)
    resolution = models.PositiveSmallIntegerField("解决率权重", default=35)
    satisfaction = models.PositiveSmallIntegerField("满意率权重", default=35)

    class Meta:
        verbose_name = verbose_name_plural = "考评权重"
        constraints = [
            models.UniqueConstraint(fields=["level", "unit_kind"], name="uniq_score_weight")
        ]

    def __str__(self):
        return f"{self.level or '*'}/{self.unit_kind or '*'}"
