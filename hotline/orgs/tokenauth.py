"""The API's per-user bearer token, one instance (and one cache) for every router that takes it."""

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from ninja.security import HttpBearer

from . import scope
from .models import ApiToken


class TokenAuth(HttpBearer):
    """`Authorization: Bearer hl_…`: a per-user token for machines.

    A connected system sends hundreds of requests a second with one token; each worker keeps
    the token's user and memberships for `TOKEN_CACHE_SECONDS` (default 10) instead of two
    queries per request. A revoked token or a changed role takes effect within that time;
    an expired one at once. A read-only token may only GET (403 otherwise).
    """

    def __init__(self):
        super().__init__()
        self._cache: dict[str, tuple[float, object, ApiToken]] = {}

    def authenticate(self, request, token):
        key_hash = ApiToken.hash_key(token)
        ttl = getattr(settings, "TOKEN_CACHE_SECONDS", 10)
        cached = self._cache.get(key_hash)
        now = timezone.now()
        if cached is not None and cached[0] > time.monotonic() and cached[2].is_valid_at(now):
            request.user = cached[1]
            cached[2].check_scope(request.method)
            return cached[1]
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=key_hash, is_active=True, user__is_active=True)
            .first()
        )
        if found is None or not found.is_valid_at(now):
            self._cache.pop(key_hash, None)
            return None
        found.check_scope(request.method)
        # Record use at most every few minutes: a write per request would cost throughput.
        if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        user = found.user
        if ttl > 0:
            scope.memberships(user)  # loaded once, kept on the cached user
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_hash] = (time.monotonic() + ttl, user, found)
        request.user = user
        return user


# One instance: the root API and the exchange's routers share its cache.
token_auth = TokenAuth()
