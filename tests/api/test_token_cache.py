import pytest

from hotline.orgs.models import ApiToken
from hotline.orgs.services import issue_token

pytestmark = pytest.mark.django_db


def _list(client, key):
    return client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_checked_token_is_trusted_for_the_cache_time_then_checked_again(
    client, province, settings, monkeypatch
):
    settings.TOKEN_CACHE_SECONDS = 10
    clock = [1000.0]
    monkeypatch.setattr("hotline.orgs.tokenauth.time.monotonic", lambda: clock[0])
    token, key = issue_token(user=province.users["fz_agent"], name="分中心对接")
    assert _list(client, key).status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(is_active=False)
    assert _list(client, key).status_code == 200  # within the cache time

    clock[0] += 11
    response = _list(client, key)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
