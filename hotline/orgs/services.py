"""State changes of the orgs app."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from hotline.errors import InvalidInput

from .models import ApiToken, Membership, Role, TokenScope, Unit, User

# Usernames of the system actors; ordinary usernames cannot contain a colon (Django's validator).
SYSTEM_PREFIX = "system:"


def issue_token(
    *, user: User, name: str, scope: str = TokenScope.WRITE, days: int | None = None
) -> tuple[ApiToken, str]:
    """Create an API token and return it with the clear key, which is shown only once; it
    expires after `days` (at most, and by default, settings.API_TOKEN_MAX_DAYS)."""
    longest = settings.API_TOKEN_MAX_DAYS
    if scope not in TokenScope.values:
        raise InvalidInput(f"未知的权限范围：{scope}", f"unknown scope {scope!r}", field="scope")
    if days is not None and not 1 <= days <= longest:
        raise InvalidInput(
            f"有效期须在 1 到 {longest} 天之间", f"days must be 1..{longest}", field="days"
        )
    key = "hl_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:8],
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days or longest),
    )
    return token, key


def revoke_token(*, token: ApiToken) -> ApiToken:
    """Switch a token off for good (every worker within TOKEN_CACHE_SECONDS)."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        is_active=False, revoked_at=timezone.now()
    )
    token.refresh_from_db()
    return token


def service_user(username: str, full_name: str, *, is_active: bool) -> User:
    """An account the system acts as (automatic dispatch, portal intake, automatic rules),
    created on first use and safe beside another process creating it too; its password is
    unusable, so nobody signs in with it. Callers give it its role at a center."""
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "is_active": is_active}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def system_actor(center: Unit) -> User:
    """The account automatic rules act as at `center` (e.g. 自动督办): a supervisor there.

    One per center, created on first use (safe beside another worker creating it too). It is
    inactive and has no usable password, so nobody can sign in with it; the history shows it
    as "<center>（系统）", so an automatic action is never attributed to a person.
    """
    if not center.is_center:
        raise ValueError(f"{center.code} is not a hotline center")
    user = service_user(f"{SYSTEM_PREFIX}{center.code}", f"{center.name}（系统）", is_active=False)
    Membership.objects.get_or_create(
        user=user, unit=center, role=Role.SUPERVISOR, defaults={"is_active": True}
    )
    return user


def is_system_actor(user) -> bool:
    return bool(user) and user.username.startswith(SYSTEM_PREFIX) and not user.is_active
