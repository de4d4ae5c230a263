"""API rate limits per token and per address: 429 in the usual error shape, settings-driven."""

import pytest

from hotline.orgs.services import issue_token
from hotline.throttle import parse_rate
from tests.api.helpers import assert_error

TICKETS = "/api/v1/tickets"


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_token_past_its_budget_gets_429_and_another_token_goes_on(client, province, settings):
    # given a budget of three requests a minute per token and two tokens
    settings.API_RATE_PER_TOKEN = "3/m"
    settings.API_RATE_PER_ADDRESS = "off"
    _, first = issue_token(user=province.users["fz_agent"], name="a")
    _, second = issue_token(user=province.users["fz_agent"], name="b")
    # when the first token sends four requests
    answers = [client.get(TICKETS, **bearer(first)) for _ in range(4)]
    # then three are served and the fourth is refused with the error body and a Retry-After
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    body = assert_error(answers[3], 429, code="limit_exceeded", field=None)
    assert "请求过于频繁" in body["message_zh"]
    assert 1 <= int(answers[3]["Retry-After"]) <= 60
    # and the other token is not affected
    assert client.get(TICKETS, **bearer(second)).status_code == 200


def test_an_address_past_its_budget_gets_429_whoever_it_is(client, province, settings):
    # given two requests a minute per address
    settings.API_RATE_PER_TOKEN = "off"
    settings.API_RATE_PER_ADDRESS = "2/m"
    # when an anonymous client at one address asks three times
    codes = [client.get(TICKETS, REMOTE_ADDR="10.1.1.1").status_code for _ in range(3)]
    # then the first two are answered (401, not signed in) and the third is throttled
    assert codes == [401, 401, 429]
    # and a client at another address is still answered
    assert client.get(TICKETS, REMOTE_ADDR="10.1.1.2").status_code == 401


def test_guessing_tokens_is_throttled_by_address(client, province, settings):
    # given a per-address budget: every guess is a new "token", so only the address can stop it
    settings.API_RATE_PER_TOKEN = "100/m"
    settings.API_RATE_PER_ADDRESS = "5/m"
    codes = [
        client.get(TICKETS, REMOTE_ADDR="10.9.9.9", **bearer(f"hl_guess{i}")).status_code
        for i in range(6)
    ]
    assert codes == [401] * 5 + [429]


def test_behind_a_proxy_the_forwarded_address_counts_not_the_one_the_client_wrote(
    client, province, settings
):
    # given one trusted proxy and one request a minute per address
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_RATE_PER_TOKEN = "off"
    settings.API_RATE_PER_ADDRESS = "1/m"
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    # when one client sends two requests, forging a different first hop the second time
    first = client.get(TICKETS, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    second = client.get(TICKETS, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", **proxy)
    # then the proxy's view of the client (the right-most entry) is what is counted
    assert (first.status_code, second.status_code) == (401, 429)
    # and another client behind the same proxy has its own budget
    other = client.get(TICKETS, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert other.status_code == 401


def test_open311_is_throttled_in_its_own_error_shape(client, province, settings):
    settings.API_RATE_PER_ADDRESS = "1/m"
    assert client.get("/open311/v2/services.json").status_code == 200
    refused = client.get("/open311/v2/services.json")
    assert refused.status_code == 429
    assert refused.json() == [{"code": 429, "description": refused.json()[0]["description"]}]
    assert "too many requests per address" in refused.json()[0]["description"]


def test_pages_are_not_api_and_are_not_counted(client, province, settings):
    settings.API_RATE_PER_ADDRESS = "1/m"
    assert [client.get("/login/").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.parametrize(
    ("text", "rate"),
    [("600/m", (600, 60)), ("100/10s", (100, 10)), ("5000/h", (5000, 3600)), ("1/d", (1, 86400)),
     ("off", None), ("", None), ("0/m", None)],
)  # fmt: skip
def test_rates_are_parsed(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["600", "600/min", "x/m", "-1/m"])
def test_a_garbled_rate_is_refused(text):
    with pytest.raises(ValueError, match="expected N/s, N/m, N/h or N/d"):
        parse_rate(text)
