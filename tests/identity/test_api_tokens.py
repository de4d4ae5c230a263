"""API tokens are scoped (read / write), expire, and can be revoked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.api import api
from hotline.errors import InvalidInput
from hotline.orgs.models import ApiToken, TokenScope
from hotline.orgs.services import issue_token, revoke_token
from tests.api.helpers import assert_error, post

TICKETS = "/api/v1/tickets"


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_read_only_token_reads_but_cannot_change_anything(client, province):
    token, key = issue_token(user=province.users["fz_agent"], name="大屏", scope=TokenScope.READ)
    assert client.get(TICKETS, **bearer(key)).status_code == 200
    refused = post(client, "/tickets", {"title": "x"}, **bearer(key))
    assert_error(refused, 403, code="forbidden", field="Authorization")


def test_a_write_token_may_change(client, province):
    _, key = issue_token(user=province.users["fz_agent"], name="对接")
    response = post(client, "/tickets", {}, **bearer(key))
    assert response.status_code == 422  # past authentication and scope, to validation


def test_tokens_expire_after_the_longest_life_by_default(province, settings):
    settings.API_TOKEN_MAX_DAYS = 365
    before = timezone.now()
    token, _ = issue_token(user=province.users["fz_agent"], name="a")
    assert before + timedelta(days=365) <= token.expires_at <= timezone.now() + timedelta(days=365)
    short, _ = issue_token(user=province.users["fz_agent"], name="b", days=7)
    assert short.expires_at - short.created_at < timedelta(days=7, seconds=5)


@pytest.mark.parametrize("days", [0, 366], ids=["zero", "past-the-longest"])
def test_a_life_outside_the_limits_is_refused(province, settings, days):
    settings.API_TOKEN_MAX_DAYS = 365
    with pytest.raises(InvalidInput) as e:
        issue_token(user=province.users["fz_agent"], name="x", days=days)
    assert e.value.field == "days"
    assert ApiToken.objects.count() == 0


def test_an_expired_token_is_refused(client, province):
    token, key = issue_token(user=province.users["fz_agent"], name="old")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(client.get(TICKETS, **bearer(key)), 401, code="not_authenticated")


def test_an_expired_token_is_refused_even_while_cached(client, province, settings):
    # given a worker that caches tokens for a minute and has just seen this one
    settings.TOKEN_CACHE_SECONDS = 60
    token, key = issue_token(user=province.users["fz_agent"], name="soon")
    assert client.get(TICKETS, **bearer(key)).status_code == 200
    # when the token's expiry passes within the cache time (the cached row is the stored one)
    past = timezone.now() - timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=past)
    cached = next(v for v in _auth()._cache.values() if v[2].pk == token.pk)
    cached[2].expires_at = past
    # then it is refused at once
    assert client.get(TICKETS, **bearer(key)).status_code == 401


def test_a_revoked_token_is_refused_and_keeps_who_and_when(client, province):
    token, key = issue_token(user=province.users["fz_agent"], name="lost")
    assert client.get(TICKETS, **bearer(key)).status_code == 200
    revoke_token(token=token)
    assert token.is_active is False and token.revoked_at is not None
    assert_error(client.get(TICKETS, **bearer(key)), 401, code="not_authenticated")


def test_an_unknown_scope_is_refused(province):
    with pytest.raises(InvalidInput) as e:
        issue_token(user=province.users["fz_agent"], name="x", scope="admin")
    assert e.value.field == "scope"


def _auth():
    return next(a for a in api.auth if hasattr(a, "_cache"))
