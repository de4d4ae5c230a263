"""The access log of citizens' personal data: who saw which ticket's name or phone
in full, when and why. Append-only: the model refuses updates and deletes, the admin offers
neither, and on PostgreSQL a trigger refuses them to every database user.

The one who saw is a staff user or a connected partner system (a 110 police partner reading a
hand-over through its signed API): exactly one of the two."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hotline.throttle import client_address


class PersonalField(models.TextChoices):
    NAME = "citizen_name", "诉求人姓名"
    PHONE = "citizen_phone", "联系电话"


# How a partner system is named where a user name would be (log page, exports, API).
PARTNER_PREFIX = "接入系统:"


class AppendOnlyError(Exception):
    """A row of the access log was to be changed or deleted."""


class PersonalDataView(models.Model):
    at = models.DateTimeField("查看时间")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="查看人",
        null=True, blank=True,
    )  # fmt: skip
    # A partner system reads under its own signature, not as a user: the log names it.
    partner = models.ForeignKey(
        "exchange.ConnectedSystem", models.PROTECT, related_name="+", verbose_name="接入系统",
        null=True, blank=True,
    )  # fmt: skip
    # The ticket by id and number: the number stays readable even if the ticket is archived.
    ticket = models.ForeignKey(
        "tickets.Ticket", models.PROTECT, related_name="+", verbose_name="工单", db_index=False
    )
    ticket_number = models.CharField("工单编号", max_length=24)
    center = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="工单责任中心", db_index=False
    )
    field = models.CharField("字段", max_length=16, choices=PersonalField.choices)
    reason = models.CharField("查看理由", max_length=200)
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "个人信息查看记录"
        indexes = [
            models.Index(fields=["center", "-at"], name="pdview_center_at"),
            models.Index(fields=["ticket", "-at"], name="pdview_ticket_at"),
            models.Index(fields=["user", "-at"], name="pdview_user_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, partner__isnull=True)
                | models.Q(user__isnull=True, partner__isnull=False),
                name="pdview_user_or_partner",
            )
        ]

    def __str__(self):
        return f"{self.ticket_number} {self.get_field_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(
                "个人信息查看记录只能追加，不能修改 / the access log is append-only"
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("个人信息查看记录不能删除 / the access log is append-only")

    @property
    def viewer(self) -> str:
        """Who saw: the user name, or `接入系统:<code>` for a partner system."""
        return self.user.username if self.user_id else PARTNER_PREFIX + self.partner.code

    @classmethod
    def record_partner_read(cls, *, partner, ticket, fields, reason: str, request=None):
        """Log that `partner` received `fields` of `ticket`'s citizen in full (from the
        address of `request`). Here, not in services: the apps below this one (exchange) may
        use another app's models but not call up into its services."""
        now = timezone.now()
        address = (client_address(request) or None) if request is not None else None
        cls.objects.bulk_create(
            [
                cls(at=now, partner=partner, ticket=ticket, ticket_number=ticket.number,
                    center_id=ticket.center_id, field=f, reason=reason[:200], address=address)
                for f in fields
            ]
        )  # fmt: skip
