"""The transactional outbox: one row per ticket change, written with the change itself."""

from django.db import models


class OutboxMessage(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="+")
    event = models.OneToOneField("tickets.TicketEvent", models.CASCADE, related_name="outbox")
    topic = models.CharField(max_length=48)
    payload = models.JSONField()
    created_at = models.DateTimeField(db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "发件箱"
        ordering = ["id"]

    def __str__(self):
        return f"{self.topic} #{self.pk}"
