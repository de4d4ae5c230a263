"""Rate limits per phone and per address, counted in the database (shared by all workers).

Each limit is (kind, how many, window in seconds); settings.HOTLINE_PORTAL_LIMITS overrides
any of them. Counting then inserting is not atomic: two workers may both let the last
allowed hit through, an overshoot of at most one per worker, which is fine for abuse control.
"""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from hotline.errors import ErrorCode, HotlineError

from .models import RateHit

DEFAULT_LIMITS = {
    # An SMS costs money and annoys the phone's owner: one a minute, five an hour.
    "code_phone_minute": (1, 60),
    "code_phone": (5, 3600),
    "code_ip": (20, 3600),
    "submit_phone": (5, 86400),
    "submit_ip": (30, 86400),
    # Lookups: enough for a family checking a few demands, too few to enumerate numbers.
    "follow_ip": (30, 3600),
    "follow_miss_ip": (10, 3600),
    "follow_miss_number": (5, 3600),
}


class RateLimited(HotlineError):
    status = 429
    code = ErrorCode.LIMIT_EXCEEDED

    def __init__(self, kind: str, window: int):
        minutes = max(1, round(window / 60))
        wait = f"{minutes // 60}小时" if minutes >= 60 and minutes % 60 == 0 else f"{minutes}分钟"
        super().__init__(
            f"操作过于频繁，请{wait}后再试。如有紧急情况请拨打12345热线。",
            f"too many requests ({kind}); try again in {minutes} minutes",
            field=None,
        )
        self.kind = kind
        self.window = window


def limit(kind: str) -> tuple[int, int]:
    return getattr(settings, "HOTLINE_PORTAL_LIMITS", {}).get(kind, DEFAULT_LIMITS[kind])


def key_of(value: str) -> str:
    """A keyed hash: the table never holds a phone number or an address in clear."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def check(kind: str, value: str, *, now=None) -> None:
    """Raise RateLimited if `value` used up `kind`'s allowance; does not count a hit."""
    count, window = limit(kind)
    now = now or timezone.now()
    used = RateHit.objects.filter(
        kind=kind, key=key_of(value), created_at__gt=now - timedelta(seconds=window)
    ).count()
    if used >= count:
        raise RateLimited(kind, window)


def hit(kind: str, value: str, *, now=None) -> None:
    """Count one hit of `value` under `kind`, dropping its hits older than the window."""
    _count, window = limit(kind)
    now = now or timezone.now()
    key = key_of(value)
    RateHit.objects.filter(
        kind=kind, key=key, created_at__lte=now - timedelta(seconds=window)
    ).delete()
    RateHit.objects.create(kind=kind, key=key, created_at=now)


def take(kind: str, value: str, *, now=None) -> None:
    """Check, then count: the common case of an action that always counts."""
    check(kind, value, now=now)
    hit(kind, value, now=now)
