"""HMAC-SHA256 signatures of exchange messages, both ways (inbound requests, outbound webhooks).

The signed text is "{timestamp}.{body}": the timestamp (Unix seconds) is inside the signature,
so a captured request cannot be replayed later with a fresh timestamp; within the five-minute
window a replay is harmless because intake is idempotent on (system, external id).
"""

import hashlib
import hmac
import time

from hotline.errors import ErrorCode, HotlineError

MAX_SKEW_SECONDS = 300
SYSTEM_HEADER = "X-Hotline-System"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"


class SignatureRefused(HotlineError):
    """A missing, stale or wrong signature: 401, nothing read or changed."""

    status = 401
    code = ErrorCode.NOT_AUTHENTICATED


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """Hex HMAC-SHA256 of "{timestamp}.{body}" under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(system_code: str, secret: str, body: bytes, now: float | None = None) -> dict:
    """The three headers a sender puts on a signed request."""
    ts = str(int(now if now is not None else time.time()))
    return {
        SYSTEM_HEADER: system_code,
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(secret, ts, body),
    }


def check(secret: str, timestamp: str | None, signature: str | None, body: bytes, now=None):
    """Raise SignatureRefused unless `signature` is fresh and right for `body`."""
    if not timestamp or not signature:
        raise SignatureRefused(
            "缺少签名或时间戳",
            "signature and timestamp headers are required",
            field=SIGNATURE_HEADER,
        )
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureRefused(
            "时间戳格式不正确", "timestamp must be Unix seconds", field=TIMESTAMP_HEADER
        ) from None
    now = time.time() if now is None else now
    if abs(now - ts) > MAX_SKEW_SECONDS:
        raise SignatureRefused(
            "请求已过期（时间戳相差超过5分钟）",
            "stale request: timestamp is more than 5 minutes off",
            field=TIMESTAMP_HEADER,
        )
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower()):
        raise SignatureRefused("签名不正确", "wrong signature", field=SIGNATURE_HEADER)
