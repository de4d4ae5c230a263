"""The rules in force for one user: the nearest SecurityPolicy above each of the user's
memberships, combined so that the strictest wins; settings give the defaults."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from hotline.orgs import scope
from hotline.orgs.models import Role, Unit

from .models import PasswordRecord, SecurityPolicy


@dataclass(frozen=True)
class Effective:
    otp_required: bool
    idle_minutes: int
    password_max_age_days: int | None
    password_changed_at: datetime

    @property
    def password_expired(self) -> bool:
        if self.password_max_age_days is None:
            return False
        return timezone.now() - self.password_changed_at > timedelta(
            days=self.password_max_age_days
        )


def _nearest(policies: dict[str, SecurityPolicy], unit: Unit) -> SecurityPolicy | None:
    """The policy of the unit or of its closest ancestor (unit paths are code/code/…/)."""
    codes = unit.path.rstrip("/").split("/")
    for i in range(len(codes), 0, -1):
        found = policies.get(codes[i - 1])
        if found is not None:
            return found
    return None


def password_changed_at(user) -> datetime:
    last = PasswordRecord.objects.filter(user=user).values_list("created_at", flat=True).first()
    return last or user.date_joined


def effective(user) -> Effective:
    """The user's rules: second factor if any membership's role is listed by its policy (a
    superuser counts as 系统管理员), the shortest idle timeout and password lifetime."""
    members = scope.memberships(user)
    codes = {c for m in members for c in m.unit.path.rstrip("/").split("/")}
    policies = {
        p.unit.code: p
        for p in SecurityPolicy.objects.filter(unit__code__in=codes).select_related("unit")
    }
    default_idle = settings.SESSION_IDLE_MINUTES
    default_roles = set(settings.OTP_REQUIRED_ROLES)
    otp, idle, max_age = False, [], []
    pairs = [(m.role, _nearest(policies, m.unit)) for m in members]
    if user.is_superuser:
        root = Unit.objects.filter(parent__isnull=True, security_policy__isnull=False).first()
        pairs.append((Role.ADMIN, root and root.security_policy))
    for role, policy in pairs:
        roles = set(policy.otp_roles) if policy else default_roles
        otp = otp or role in roles
        idle.append(policy.idle_minutes if policy else default_idle)
        if policy and policy.password_max_age_days:
            max_age.append(policy.password_max_age_days)
    return Effective(
        otp_required=otp,
        idle_minutes=min(idle, default=default_idle),
        password_max_age_days=min(max_age, default=None),
        password_changed_at=password_changed_at(user),
    )
