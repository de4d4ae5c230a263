"""Password policy (classes, user name, common, last five, expiry by the center) and the idle
session timeout (per center, default 30 minutes)."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from hotline.identity.middleware import SEEN
from hotline.identity.models import PasswordRecord, SecurityPolicy

GOOD = "Fuzhou#Hotline2026"


def codes_of(password, user) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as e:
        return {err.code for err in e.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Short#1a", {"password_too_short"}),
        ("alllowercaseletters", {"password_too_few_classes"}),
        ("123456789012345", {"password_entirely_numeric", "password_too_few_classes"}),
        ("Fz_Agent#2026xx", {"password_contains_username"}),
        ("Q1w2e3r4t5y6", {"password_too_common"}),
        (GOOD, set()),
    ],
    ids=["short", "one-class", "digits", "user-name", "common", "good"],
)  # fmt: skip
def test_password_policy(province, password, codes):
    user = province.users["fz_agent"]
    user.username = "fz_agent"
    assert codes_of(password, user) == codes


def test_none_of_the_last_five_passwords_again(province):
    # given a user who has had six passwords
    user = province.users["fz_agent"]
    history = [f"Fuzhou#Hotline{n}x" for n in range(6)]
    for p in history:
        user.set_password(p)
        user.save()
    # then the last five are refused and the sixth-last is allowed again
    for p in history[1:]:
        assert codes_of(p, user) == {"password_reused"}
    assert codes_of(history[0], user) == set()
    assert PasswordRecord.objects.filter(user=user).count() == 5


def test_an_expired_password_must_be_changed_first(client, province):
    # given 福州 sets a 90-day lifetime and the agent's password is 91 days old
    SecurityPolicy.objects.create(unit=province.units["fz"], password_max_age_days=90)
    agent = province.users["fz_agent"]
    agent.set_password("Old#Password2025")
    agent.save()
    PasswordRecord.objects.filter(user=agent).update(created_at=timezone.now() - timedelta(days=91))
    client.force_login(agent)
    # when she opens a page, she is sent to change her password
    assert client.get("/intake/").url == "/account/password/?next=/intake/"
    # a weak new password is refused, nothing changes
    weak = client.post(
        "/account/password/",
        {"old_password": "Old#Password2025", "new_password1": "abc", "new_password2": "abc"},
    )
    assert weak.status_code == 200
    assert client.get("/intake/").status_code == 302
    # a good one is accepted and the pages open again
    done = client.post(
        "/account/password/",
        {"old_password": "Old#Password2025", "new_password1": GOOD, "new_password2": GOOD},
    )
    assert done.status_code == 302
    assert client.get("/intake/").status_code == 200


def test_without_a_lifetime_an_old_password_is_fine(client, province):
    agent = province.users["fz_agent"]
    agent.date_joined = timezone.now() - timedelta(days=400)
    agent.save()
    client.force_login(agent)
    assert client.get("/intake/").status_code == 200


def seen_ago(client, minutes: float) -> None:
    session = client.session
    session[SEEN] = time.time() - minutes * 60
    session.save()


def test_idle_for_more_than_thirty_minutes_signs_out_by_default(client, province):
    client.force_login(province.users["fz_agent"])
    seen_ago(client, 29)
    assert client.get("/intake/").status_code == 200
    seen_ago(client, 31)
    response = client.get("/intake/")
    assert response.url == "/login/?next=/intake/"
    assert client.get("/intake/").url.startswith("/login/")  # the session is gone


def test_a_center_sets_its_own_idle_timeout(client, province):
    SecurityPolicy.objects.create(unit=province.units["fz"], idle_minutes=10)
    client.force_login(province.users["fz_agent"])
    seen_ago(client, 11)
    assert client.get("/intake/").url == "/login/?next=/intake/"


def test_background_polling_does_not_keep_a_session_alive(client, province):
    # given a workbench whose last user action was 20 minutes ago
    client.force_login(province.users["fz_agent"])
    seen_ago(client, 20)
    before = client.session[SEEN]
    # when its counters poll
    assert client.get("/nav/", HTTP_HX_REQUEST="true", HTTP_X_HOTLINE_POLL="1").status_code == 200
    # then the last activity is unchanged, while a user's request moves it
    assert client.session[SEEN] == before
    client.get("/intake/")
    assert client.session[SEEN] > before + 19 * 60


def test_an_idle_htmx_request_is_sent_to_the_login_page(client, province):
    client.force_login(province.users["fz_agent"])
    seen_ago(client, 31)
    response = client.get("/nav/", HTTP_HX_REQUEST="true", HTTP_X_HOTLINE_POLL="1")
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/?next=/nav/"
