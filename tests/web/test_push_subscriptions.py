"""The page's Web Push endpoints (issue 19): the device's subscription posted as the browser
gives it, one per device, forgotten on signing out; bad input named, in Chinese and English."""

import json

import pytest
from django.test import override_settings

from hotline.supervision.models import PushSubscription
from tests.supervision.pushservice import PUBLIC, Device, PushService, push_settings

SERVICE = PushService(url="https://fcm.googleapis.com")


@pytest.fixture(autouse=True)
def push_on():
    with push_settings():
        yield


def post(client, url, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type="application/json")


def test_the_page_carries_the_public_key_and_the_device_subscribes(client, province):
    client.force_login(province.users["gl_housing_handler"])
    page = client.get("/inbox/").content.decode()
    assert f'data-push-key="{PUBLIC}"' in page
    assert "data-push-toggle" in page
    phone = Device.new(SERVICE, "phone")

    first = post(client, "/push/subscribe/", phone.subscription())
    again = post(client, "/push/subscribe/", phone.subscription())

    assert (first.status_code, again.status_code) == (201, 201)
    sub = PushSubscription.objects.get()
    assert (sub.user.username, sub.endpoint, sub.p256dh) == (
        "gl_housing_handler",
        phone.endpoint,
        phone.p256dh,
    )


def test_signing_out_forgets_the_device(client, province):
    client.force_login(province.users["gl_housing_handler"])
    phone, desk = Device.new(SERVICE, "phone"), Device.new(SERVICE, "desk")
    post(client, "/push/subscribe/", phone.subscription())
    PushSubscription.objects.create(
        user=province.users["gl_housing_handler"],
        endpoint=desk.endpoint,
        p256dh=desk.p256dh,
        auth="AAAAAAAAAAAAAAAAAAAAAA",
        created_at=PushSubscription.objects.get().created_at,
    )

    response = client.post("/logout/")

    assert response.status_code == 302
    # Only this session's device: the desk stays subscribed until it signs out itself.
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [desk.endpoint]


def test_unsubscribe_removes_only_ones_own(client, province):
    phone = Device.new(SERVICE, "phone")
    client.force_login(province.users["gl_housing_handler"])
    post(client, "/push/subscribe/", phone.subscription())
    client.force_login(province.users["xm_housing_handler"])

    theirs = post(client, "/push/unsubscribe/", {"endpoint": phone.endpoint})
    assert (theirs.status_code, theirs.json()) == (200, {"removed": 0})
    client.force_login(province.users["gl_housing_handler"])
    mine = post(client, "/push/unsubscribe/", {"endpoint": phone.endpoint})
    assert (mine.status_code, mine.json()) == (200, {"removed": 1})
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ("not json", "body"),
        ([1, 2], "body"),
        ({"endpoint": "http://10.1.2.3/push", "keys": {}}, "endpoint"),
        (
            {"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "x", "auth": "x"}},
            "keys.p256dh",
        ),
    ],
    ids=["not-json", "not-an-object", "internal-host", "bad-key"],
)
def test_a_bad_subscription_is_refused_naming_the_field(client, province, body, field):
    client.force_login(province.users["gl_housing_handler"])

    response = post(client, "/push/subscribe/", body)

    assert response.status_code == 400
    error = response.json()
    assert error["field"] == field
    assert error["message_zh"] and error["message_en"]
    assert not PushSubscription.objects.exists()


def test_signed_in_users_only_and_post_only(client, province):
    phone = Device.new(SERVICE, "phone")
    assert post(client, "/push/subscribe/", phone.subscription()).status_code == 302
    client.force_login(province.users["gl_housing_handler"])
    assert client.get("/push/subscribe/").status_code == 405
    assert client.get("/push/unsubscribe/").status_code == 405
    assert not PushSubscription.objects.exists()


def test_with_push_off_the_page_has_no_key_and_subscribing_is_refused(client, province):
    client.force_login(province.users["gl_housing_handler"])
    with override_settings(WEB_PUSH=False):
        page = client.get("/inbox/").content.decode()
        response = post(client, "/push/subscribe/", Device.new(SERVICE, "p").subscription())
    assert "data-push-key" not in page
    assert "data-push-toggle" not in page
    assert (response.status_code, response.json()["field"]) == (400, "endpoint")
