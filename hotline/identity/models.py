"""Security policies of the centers (second factor per role, idle timeout, password expiry)
and the history of each user's passwords (no reuse of the last five)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from hotline.orgs.models import Role, Unit


class SecurityPolicy(models.Model):
    """A unit's (normally a center's) rules for its staff and every unit below it; the nearest
    policy up the tree applies, the strictest of a user's memberships wins."""

    unit = models.OneToOneField(
        Unit, models.CASCADE, related_name="security_policy", verbose_name="适用单位（含下级）"
    )
    otp_roles = models.JSONField(
        "须启用双因素认证的岗位",
        default=list,
        blank=True,
        help_text="岗位代码，如 admin、agent、dispatcher；留空则不强制。",
    )
    idle_minutes = models.PositiveIntegerField("空闲超时（分钟）", default=30)
    password_max_age_days = models.PositiveIntegerField(
        "密码有效期（天）", null=True, blank=True, help_text="留空则不要求定期更换，如 90。"
    )

    class Meta:
        verbose_name = verbose_name_plural = "安全策略"

    def __str__(self):
        return f"{self.unit} 的安全策略"

    def clean(self):
        unknown = sorted(set(self.otp_roles) - set(Role.values))
        if unknown:
            raise ValidationError({"otp_roles": f"未知岗位：{', '.join(unknown)}"})
        if self.idle_minutes < 1:
            raise ValidationError({"idle_minutes": "空闲超时至少 1 分钟"})


class PasswordRecord(models.Model):
    """One password a user has had (its hash), newest last; the newest dates the current one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="password_records"
    )
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"
