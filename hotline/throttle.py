"""API rate limits per token and per address, counted in the cache (a fixed window).

Two budgets apply to every request under API_RATE_LIMIT_PATHS: one per bearer token (a
connected system), one per client address (anyone, including a guesser of tokens). A request
past either gets 429 in the API's error shape (Open311's own shape under /open311/) with a
Retry-After. Django's default cache is per process: with N workers the effective budget is up
to N times the setting (README says so); a shared cache in CACHES makes it exact.
"""

import hashlib
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse

from hotline.errors import ErrorCode
from hotline.open311 import render

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


def parse_rate(text: str | None) -> tuple[int, int] | None:
    """'600/m' → (600, 60); '100/10s' → (100, 10); '', 'off' or '0/m' → None (no limit)."""
    if not text or text.strip().lower() in {"off", "0", "none"}:
        return None
    m = RATE.match(text)
    if m is None:
        raise ValueError(f"rate {text!r}: expected N/s, N/m, N/h or N/d (e.g. 600/m)")
    count, mult, unit = int(m[1]), int(m[2] or 1), m[3]
    return (count, mult * UNITS[unit]) if count > 0 else None


def client_address(request) -> str:
    """The client's address; behind N trusted proxies, the N-th address from the right of
    X-Forwarded-For (what the outermost proxy saw), never one the client wrote itself."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _bearer(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return None


def _take(kind: str, ident: str, rate: tuple[int, int], now: float) -> int | None:
    """Count one request; the seconds until the window ends if the budget is used up."""
    count, window = rate
    slot = int(now // window)
    key = f"throttle:{kind}:{ident}:{window}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        used = 1
    if used > count:
        return max(1, int((slot + 1) * window - now))
    return None


def _refusal(request, kind: str, wait: int):
    zh = f"请求过于频繁，请 {wait} 秒后再试"
    en = f"too many requests per {kind}; retry after {wait} seconds"
    if request.path.startswith("/open311/"):
        fmt = "xml" if request.path.endswith(".xml") else "json"
        response = render.error(fmt, 429, en)
    else:
        response = JsonResponse(
            {"code": str(ErrorCode.LIMIT_EXCEEDED), "field": None, "message_zh": zh,
             "message_en": en},
            status=429,
        )  # fmt: skip
    response["Retry-After"] = str(wait)
    return response


class ApiRateLimitMiddleware:
    """Refuses API requests past the per-token or per-address budget (settings-driven)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(tuple(getattr(settings, "API_RATE_LIMIT_PATHS", ()))):
            now = time.time()
            token = _bearer(request)
            per_token = parse_rate(getattr(settings, "API_RATE_PER_TOKEN", None))
            if token and per_token:
                wait = _take("token", token, per_token, now)
                if wait:
                    return _refusal(request, "token", wait)
            per_address = parse_rate(getattr(settings, "API_RATE_PER_ADDRESS", None))
            if per_address:
                wait = _take("address", client_address(request), per_address, now)
                if wait:
                    return _refusal(request, "address", wait)
        return self.get_response(request)
