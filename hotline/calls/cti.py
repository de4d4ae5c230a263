"""The door of the CTI endpoint: who sent the request, is it fresh, is it well formed.

A refused request changes nothing but its counter (RejectedRequest, per platform and reason),
written in its own autocommit statement so that the refusal itself can be seen in the admin.
A code that names no platform is counted under one key, UNKNOWN_KEY: anyone can send any
header, and a row per invented code would let them grow the table without bound.
The signature is `exchange.signing`'s (HMAC-SHA256 over "{timestamp}.{body}"); replays within
the freshness window are caught by the SeenSignature row the intake inserts in its transaction.

Platforms are kept per worker process (`_platforms`, by code): at thousands of events a second
the look-up was a statement and a model instance in every request. The copy is never trusted
alone: the intake stores the request's signature only if the platform's row still has the
secret, center and active flag the copy was checked with (events.ingest), so a platform
disabled or given a new secret — in the admin of any worker — is refused by the very next
request in every worker. When the row differs the request is checked again from the row
(`PlatformChanged`, api.py). A copy older than PLATFORM_TTL_SECONDS is read again, for what
the check does not cover (the center's place in the tree).
"""

import json
import time

from django.db.models import F
from django.utils import timezone
from pydantic import ValidationError

from hotline.errors import ErrorCode, HotlineError
from hotline.exchange import signing

from .models import CallPlatform, RejectedRequest, RejectReason
from .schemas import BatchIn, EventIn

PLATFORM_HEADER = "X-Hotline-Platform"
UNKNOWN_KEY = "（未知平台）"
PLATFORM_TTL_SECONDS = 60.0

# code -> (read at, monotonic seconds; the platform with its center). Known codes only: a
# code that names no platform is read every time, so invented codes cannot grow it.
_platforms: dict[str, tuple[float, CallPlatform]] = {}


class Refused(HotlineError):
    """401: the request is not from a platform we know, or not signed right, or not fresh."""

    status = 401
    code = ErrorCode.NOT_AUTHENTICATED

    def __init__(self, reason: str, zh: str, en: str, *, field: str | None = None):
        super().__init__(zh, en, field=field)
        self.reason = reason


class PlatformChanged(Exception):
    """The kept copy of the platform no longer matches its row: check the request again."""


def forget_platforms() -> None:
    """Drop this process's copies (tests; the intake does it itself when a row changed)."""
    _platforms.clear()


def _platform(code: str, *, fresh: bool) -> tuple[CallPlatform | None, bool]:
    """The active platform `code` and whether it is the kept copy."""
    kept = None if fresh else _platforms.get(code)
    if kept is not None and time.monotonic() - kept[0] < PLATFORM_TTL_SECONDS:
        return kept[1], True
    platform = (
        CallPlatform.objects.select_related("center").filter(code=code, is_active=True).first()
    )
    if platform is None:
        _platforms.pop(code, None)
    else:
        _platforms[code] = (time.monotonic(), platform)
    return platform, False


class Malformed(HotlineError):
    """422: the body is not the event contract."""

    status = 422
    code = ErrorCode.VALIDATION
    reason = RejectReason.MALFORMED


def count_refusal(platform_code: str, reason: str) -> None:
    """One more refusal of `reason` for `platform_code` (an upsert that cannot lose a count);
    codes of no platform (inactive ones are platforms) share UNKNOWN_KEY."""
    code = (platform_code or "")[:64]
    if not CallPlatform.objects.filter(code=code).exists():
        code = UNKNOWN_KEY
    now = timezone.now()
    updated = RejectedRequest.objects.filter(platform_code=code, reason=reason).update(
        count=F("count") + 1, last_at=now
    )
    if not updated:
        _, created = RejectedRequest.objects.get_or_create(
            platform_code=code, reason=reason, defaults={"count": 1, "last_at": now}
        )
        if not created:
            RejectedRequest.objects.filter(platform_code=code, reason=reason).update(
                count=F("count") + 1, last_at=now
            )


def authenticate(
    request, now: float | None = None, *, fresh: bool = False
) -> tuple[CallPlatform, str, bool]:
    """The platform that signed `request`, the signature, and whether the platform is this
    process's kept copy (to be confirmed by the intake); raises Refused otherwise. `fresh`
    reads the platform's row."""
    code = request.headers.get(PLATFORM_HEADER, "")
    timestamp = request.headers.get(signing.TIMESTAMP_HEADER)
    signature = (request.headers.get(signing.SIGNATURE_HEADER) or "").strip().lower()
    if not code or not timestamp or not signature:
        raise Refused(
            RejectReason.UNSIGNED,
            "缺少平台编码、时间戳或签名",
            "platform, timestamp and signature headers are required",
            field=signing.SIGNATURE_HEADER,
        )
    platform, kept = _platform(code, fresh=fresh)
    if platform is None:
        raise Refused(
            RejectReason.UNKNOWN_PLATFORM,
            "呼叫平台不存在或已停用",
            "unknown or inactive call platform",
            field=PLATFORM_HEADER,
        )
    try:
        signing.check(platform.secret, timestamp, signature, request.body, now=now)
    except signing.SignatureRefused as exc:
        if kept and exc.field == signing.SIGNATURE_HEADER:
            # Signed, perhaps, with a secret newer than the copy: ask the row.
            return authenticate(request, now, fresh=True)
        reason = (
            RejectReason.BAD_SIGNATURE
            if exc.field == signing.SIGNATURE_HEADER
            else RejectReason.STALE
        )
        raise Refused(reason, exc.message_zh, exc.message_en, field=exc.field) from None
    # A replay is refused by the intake's insert of the signature (events.ingest), in the
    # request's transaction: a look-up here first would be one more statement per request.
    return platform, signature, kept


def replayed() -> Refused:
    return Refused(
        RejectReason.REPLAYED,
        "重复的请求（签名已使用过）",
        "replayed request: this signature was already used",
        field=signing.SIGNATURE_HEADER,
    )


def parse(body: bytes) -> tuple[list[EventIn], list[dict]]:
    """The events of the body (one event or {"events": [...]}) and their raw dicts."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("请求体不是有效的 JSON", "the body is not valid JSON") from None
    raw = data["events"] if isinstance(data, dict) and "events" in data else [data]
    try:
        batch = BatchIn.model_validate({"events": raw})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(x) for x in first.get("loc", ()) if x != "events"]
        if len(raw) == 1 and loc and loc[0] == "0":
            loc = loc[1:]
        where = ".".join(loc) or None
        raise Malformed(
            f"事件格式不正确：{where or '请求'}：{first.get('msg')}",
            f"malformed event: {where or 'body'}: {first.get('msg')}",
            field=where,
        ) from None
    return batch.events, raw


__all__ = [
    "EventIn",
    "Malformed",
    "PlatformChanged",
    "Refused",
    "authenticate",
    "count_refusal",
    "forget_platforms",
    "parse",
]
