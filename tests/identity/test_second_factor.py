"""TOTP second factor: required per role by a center's policy, enrolled by QR code, verified
at each sign-in, with single-use recovery codes."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.identity.models import SecurityPolicy
from tests.api.helpers import assert_error


@pytest.fixture
def agents_need_otp(province):
    """福州 center requires the second factor of its agents (and of no other role)."""
    return SecurityPolicy.objects.create(unit=province.units["fz"], otp_roles=["agent"])


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrol(client) -> list[str]:
    client.get("/account/otp/")
    device = TOTPDevice.objects.get(confirmed=False)
    page = client.post("/account/otp/", {"token": code_of(device), "next": "/"})
    return re.findall(r"<li><code>(\d{8})</code></li>", page.content.decode())


def test_an_agent_whose_center_requires_it_must_enrol_before_any_page(
    client, province, agents_need_otp
):
    # given an agent of 福州, signed in with the password only
    client.force_login(province.users["fz_agent"])
    # when she opens the workbench
    response = client.get("/intake/")
    # then she is sent to enrol, and comes back afterwards
    assert response.status_code == 302
    assert response.url == "/account/otp/?next=/intake/"
    page = client.get(response.url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "otpauth" not in text  # the QR code is inline SVG
    assert re.search(r'data-testid="otp-secret">[A-Z2-7]{32}<', text)


def test_enrolment_confirms_with_a_code_and_gives_ten_recovery_codes(
    client, province, agents_need_otp
):
    client.force_login(province.users["fz_agent"])
    codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=province.users["fz_agent"]).confirmed is True
    assert StaticToken.objects.filter(device__user=province.users["fz_agent"]).count() == 10
    # the session is verified: the workbench opens
    assert client.get("/intake/").status_code == 200


def test_a_wrong_code_does_not_enrol(client, province, agents_need_otp):
    client.force_login(province.users["fz_agent"])
    client.get("/account/otp/")
    device = TOTPDevice.objects.get(user=province.users["fz_agent"])
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
    page = client.post("/account/otp/", {"token": wrong})
    assert "验证码不正确或已过期" in page.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get("/intake/").url == "/account/otp/?next=/intake/"


def test_each_new_sign_in_asks_for_the_code_and_a_recovery_code_works_once(
    client, province, agents_need_otp, django_user_model
):
    # given an enrolled agent
    agent = province.users["fz_agent"]
    client.force_login(agent)
    codes = enrol(client)
    client.logout()
    # when she signs in again, she is asked for the code, not to enrol
    client.force_login(agent)
    assert client.get("/").url == "/account/otp/verify/?next=/"
    # a recovery code lets her in once
    assert client.post("/account/otp/verify/", {"token": codes[0], "next": "/"}).url == "/"
    assert client.get("/").status_code == 200
    client.logout()
    client.force_login(agent)
    again = client.post("/account/otp/verify/", {"token": codes[0], "next": "/"})
    assert again.status_code == 200
    assert "不正确" in again.content.decode()
    assert client.get("/").status_code == 302


def test_the_authenticator_code_lets_her_in_but_a_used_code_is_not_replayed(
    client, province, agents_need_otp
):
    # given an agent enrolled with the code of this period
    agent = province.users["fz_agent"]
    client.force_login(agent)
    enrol(client)
    client.logout()
    client.force_login(agent)
    device = TOTPDevice.objects.get(user=agent)
    used = code_of(device)
    # when she signs in with that same code, it is refused (django-otp remembers the period)
    assert client.post("/account/otp/verify/", {"token": used, "next": "/"}).status_code == 200
    # then, once the delay after a failure has passed (django-otp throttles guesses), the
    # next period's code (within the device's tolerance of one step) lets her in
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()
    following = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + 1)
    response = client.post("/account/otp/verify/", {"token": f"{following:06d}", "next": "/"})
    assert response.url == "/"


def test_roles_the_policy_does_not_list_are_not_forced(client, province, agents_need_otp):
    client.force_login(province.users["fz_dispatcher"])
    assert client.get("/dispatch/").status_code == 200


def test_without_any_policy_nobody_is_forced(client, province):
    # the demo's default: no center requires a second factor
    client.force_login(province.users["fz_agent"])
    assert client.get("/intake/").status_code == 200


def test_a_unit_below_the_center_follows_its_policy(client, province):
    # given 福州 requires handlers' second factor: 鼓楼区住建局 lies below 福州 center
    SecurityPolicy.objects.create(unit=province.units["fz"], otp_roles=["handler"])
    client.force_login(province.users["gl_housing_handler"])
    assert client.get("/inbox/").url == "/account/otp/?next=/inbox/"
    # 厦门's handler is not under 福州
    client.force_login(province.users["xm_housing_handler"])
    assert client.get("/inbox/").status_code == 200


def test_unverified_session_gets_401_on_the_api_and_hx_redirect_on_htmx(
    client, province, agents_need_otp
):
    client.force_login(province.users["fz_agent"])
    assert_error(client.get("/api/v1/tickets"), 401, code="not_authenticated")
    partial = client.get("/nav/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 401
    assert partial["HX-Redirect"] == "/account/otp/?next=/nav/"


def test_an_open_redirect_is_refused_after_verification(client, province, agents_need_otp):
    agent = province.users["fz_agent"]
    client.force_login(agent)
    codes = enrol(client)
    client.logout()
    client.force_login(agent)
    response = client.post(
        "/account/otp/verify/", {"token": codes[1], "next": "https://evil.example/"}
    )
    assert response.url == "/"
