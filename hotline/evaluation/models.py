"""Scorecard weights (考评权重), editable per unit level and unit type."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models


def _points(label, default):
    return models.DecimalField(label, max_digits=5, decimal_places=2, default=Decimal(default))


class ScoreWeight(models.Model):
    """Weights of the three rates in the total and the deductions; blank level or kind means
    "any", and the most specific row applies to a unit."""

    level = models.CharField("层级", max_length=16, blank=True)
    unit_kind = models.CharField("单位类型", max_length=16, blank=True)
    response = models.PositiveSmallIntegerField("响应率权重", default=30)
    resolution = models.PositiveSmallIntegerField("解决率权重", default=35)
    satisfaction = models.PositiveSmallIntegerField("满意率权重", default=35)
    # Deductions: a rate's shortfall (or the rate itself, for the bad ones) times its points;
    # counts times their points each.
    ack_on_time = _points("签收不及时扣分（满扣）", 5)
    handle_on_time = _points("未按时办结扣分（满扣）", 10)
    return_rate = _points("退单率扣分（满扣）", 5)
    unjustified = _points("每件推诿扣分", 1)
    reopen = _points("重办率扣分（满扣）", 5)
    extension = _points("延期率扣分（满扣）", 2)
    supervision = _points("每件督办扣分", "0.5")
    quality = _points("答复质量扣分（满扣）", 5)

    class Meta:
        verbose_name = verbose_name_plural = "考评权重"
        constraints = [
            models.UniqueConstraint(fields=["level", "unit_kind"], name="uniq_score_weight")
        ]

    def __str__(self):
        return f"{self.level or '*'}/{self.unit_kind or '*'}"

    def clean(self):
        if self.response + self.resolution + self.satisfaction != 100:
            raise ValidationError(
                {"satisfaction": "三项权重之和须为 100（the three weights must add up to 100）"}
            )


class TicketFact(models.Model):
    """The columns of a ticket that the scorecards count (see `facts.py`); same names as on
    Ticket, so the figures' conditions apply to either."""

    # No database constraints: the copy is written in bulk and follows the tickets, not the
    # other way round.
    ticket = models.OneToOneField(
        "tickets.Ticket", models.DO_NOTHING, primary_key=True, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    lead_unit = models.ForeignKey(
        "orgs.Unit", models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    dispatched_at = models.DateTimeField(null=True)
    ack_deadline = models.DateTimeField(null=True)
    acknowledged_at = models.DateTimeField(null=True)
    handle_deadline = models.DateTimeField(null=True)
    replied_at = models.DateTimeField(null=True)
    resolved = models.BooleanField(null=True)
    satisfaction = models.CharField(max_length=16, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    extension_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "考评工单数据"
        indexes = [models.Index(fields=["dispatched_at", "lead_unit"], name="fact_dispatched")]

    def __str__(self):
        return str(self.ticket_id)


class FactWatermark(models.Model):
    """The last ticket event whose ticket is copied into TicketFact (one row)."""

    last_event_id = models.BigIntegerField(default=0)

    def __str__(self):
        return str(self.last_event_id)
