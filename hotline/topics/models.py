"""Special topics (专题) and citizen marks (重点群体).

A topic is a center's rule (words, categories, regions, period) over its tickets; a matching
ticket gets a `TopicTicket` row, as it arrives (the worker's sweep, or the agent's intake at
once) and retroactively over the tickets that existed when the topic was created (a background
task that records its progress on the topic). A topic may set a stricter handling limit
(working days) or mandatory 督办 for its tickets.

A citizen mark (elderly, disabled, ...) sits on a ticket, set at registration or carried over
from the citizen's earlier tickets; a center may shorten the handling limit per mark.
"""

from django.conf import settings
from django.db import models


class Topic(models.Model):
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    name = models.CharField("专题名称", max_length=100)
    keywords = models.JSONField("关键词", default=list, blank=True)
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="+",
                                        verbose_name="诉求分类")  # fmt: skip
    regions = models.ManyToManyField("orgs.Region", blank=True, related_name="+",
                                     verbose_name="行政区划")  # fmt: skip
    starts_at = models.DateTimeField("起始时间", null=True, blank=True)
    ends_at = models.DateTimeField("截止时间", null=True, blank=True)
    limit_days = models.PositiveSmallIntegerField("专题办理时限（工作日）", null=True, blank=True)
    mandatory_supervision = models.BooleanField("必督办", default=False)
    is_active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间")
    # Retroactive tagging: tickets with id <= backfill_upto existed when the topic was made;
    # backfill_done is the highest id scanned so far (progress), scanned/total count rows.
    backfill_upto = models.BigIntegerField(default=0)
    backfill_done = models.BigIntegerField(default=0)
    backfill_total = models.PositiveIntegerField(default=0)
    backfill_scanned = models.PositiveIntegerField(default=0)
    backfill_finished_at = models.DateTimeField(null=True, blank=True)
    # New tickets above this id have been checked by the sweep.
    checked_up_to = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "专题"
        constraints = [models.UniqueConstraint(fields=["center", "name"], name="uniq_topic_name")]

    def __str__(self):
        return self.name

    @property
    def progress(self) -> int:
        """Retroactive tagging done, in percent."""
        if self.backfill_finished_at or not self.backfill_total:
            return 100
        return min(99, self.backfill_scanned * 100 // self.backfill_total)


class TagSource(models.TextChoices):
    ARRIVAL = "arrival", "新件标记"
    RETRO = "retro", "存量回溯"


class TopicTicket(models.Model):
    topic = models.ForeignKey(Topic, models.CASCADE, related_name="tagged")
    ticket = models.ForeignKey("tickets.Ticket", models.PROTECT, related_name="+")
    source = models.CharField("来源", max_length=8, choices=TagSource.choices)
    words = models.JSONField("命中词", default=list)
    tagged_at = models.DateTimeField("标记时间")
    # Set once the topic's stricter limit or mandatory 督办 was applied to the ticket.
    limit_applied = models.BooleanField(default=False)
    supervised = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "专题工单"
        constraints = [
            models.UniqueConstraint(fields=["topic", "ticket"], name="uniq_topic_ticket")
        ]

    def __str__(self):
        return f"{self.topic_id}:{self.ticket_id}"


class MarkKind(models.TextChoices):
    ELDERLY = "elderly", "老年人"
    DISABLED = "disabled", "残疾人"
    LOW_INCOME = "low_income", "低收入"
    MINOR = "minor", "未成年人"
    VETERAN = "veteran", "退役军人"


class MarkSource(models.TextChoices):
    REGISTRATION = "registration", "受理时标注"
    HISTORY = "history", "历史工单沿用"


class TicketMark(models.Model):
    """A vulnerable citizen's mark on one ticket; seen only where the ticket is (rule 2)."""

    ticket = models.ForeignKey("tickets.Ticket", models.PROTECT, related_name="+")
    kind = models.CharField("重点群体", max_length=12, choices=MarkKind.choices)
    source = models.CharField("来源", max_length=12, choices=MarkSource.choices)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                               related_name="+")  # fmt: skip
    set_at = models.DateTimeField("标注时间")
    limit_applied = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "重点群体标注"
        constraints = [models.UniqueConstraint(fields=["ticket", "kind"], name="uniq_ticket_mark")]

    def __str__(self):
        return f"{self.ticket_id}:{self.kind}"


class MarkLimit(models.Model):
    """A center's shorter handling limit for one mark (working days)."""

    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    kind = models.CharField("重点群体", max_length=12, choices=MarkKind.choices)
    limit_days = models.PositiveSmallIntegerField("办理时限（工作日）")

    class Meta:
        verbose_name = verbose_name_plural = "重点群体时限"
        constraints = [models.UniqueConstraint(fields=["center", "kind"], name="uniq_mark_limit")]

    def __str__(self):
        return f"{self.center_id}:{self.kind} {self.limit_days}"


class Watermark(models.Model):
    """How far a sweep over new tickets has got (e.g. carrying marks over), by ticket id."""

    key = models.CharField(max_length=32, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.key}={self.value}"
