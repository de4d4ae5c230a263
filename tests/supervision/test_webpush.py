"""Web Push (issue 19) through the real sending path: pywebpush encrypts and POSTs to a push
service on localhost, and a device with a real key pair decrypts what it received. A push
holds the ticket's number and a title, nothing of the citizen, and reaches only users who may
see the ticket."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils import timezone

from hotline.errors import InvalidInput
from hotline.supervision import webpush
from hotline.supervision.models import PushCursor, PushSubscription
from hotline.supervision.sweep import sweep_deadlines
from hotline.tickets import lifecycle
from hotline.tickets.models import Assignment, Status
from tests.tickets.factory import ticket_at

from . import pushservice
from .conftest import local
from .pushservice import PRIVATE, PUBLIC, SUBJECT, Device, push_settings, vapid_claims

CITIZEN = ("张三", "13800000001", "鼓东街道某小区3号楼", "电梯", "物业不修")


@pytest.fixture
def service():
    yield from pushservice.serve()


@pytest.fixture
def push_on(service):
    with push_settings([service.url]):
        yield service


def device(province, service, username, name=None) -> Device:
    d = Device.new(service, name or username)
    sub = d.subscription()
    webpush.subscribe(
        user=province.users[username],
        endpoint=d.endpoint,
        p256dh=sub["keys"]["p256dh"],
        auth=sub["keys"]["auth"],
    )
    return d


def later(seconds=10):
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_a_dispatched_ticket_reaches_the_units_phones_with_its_number_and_a_title_only(
    province, push_on
):
    handler = device(province, push_on, "gl_housing_handler")
    other_city = device(province, push_on, "xm_housing_handler")
    dispatcher = device(province, push_on, "fz_dispatcher")
    webpush.arrivals()  # the feed starts at the newest assignment: nothing older is announced
    t = ticket_at(province, Status.DISPATCHED, lead="gl_housing")

    sent = webpush.arrivals(now=later())

    assert sent == 1
    (message,) = push_on.to(handler.path)
    assert handler.read(message) == {"number": t.number, "title": "新工单待签收"}
    plain = handler.read(message)
    assert not any(word in str(plain) for word in CITIZEN)
    assert t.citizen_name == "张三" and "电梯" in t.title  # what must not be in it is there
    assert message.headers["content-encoding"] == "aes128gcm"
    assert message.headers["ttl"] == str(webpush.TTL_SECONDS)
    claims = vapid_claims(message, PUBLIC)
    assert (claims["aud"], claims["sub"]) == (push_on.url, SUBJECT)
    # The message on the wire is ciphertext: no number, no title in the clear.
    assert t.number.encode() not in message.body
    assert push_on.to(other_city.path) == push_on.to(dispatcher.path) == []
    # Read once: the next run sends nothing again.
    assert webpush.arrivals(now=later(20)) == 0
    assert len(push_on.received) == 1


def test_the_feed_waits_for_young_rows_and_skips_stale_ones(province, push_on):
    handler = device(province, push_on, "gl_housing_handler")
    webpush.arrivals()
    stale = ticket_at(province, Status.DISPATCHED, lead="gl_housing")
    Assignment.objects.filter(ticket=stale).update(
        assigned_at=timezone.now() - webpush.STALE_AFTER - dt.timedelta(minutes=1)
    )
    fresh = ticket_at(province, Status.DISPATCHED, lead="gl_housing")

    too_soon = webpush.arrivals(now=timezone.now())
    settled = webpush.arrivals(now=later())

    assert (too_soon, settled) == (0, 1)
    assert [handler.read(m)["number"] for m in push_on.received] == [fresh.number]
    newest = Assignment.objects.order_by("-id").values_list("id", flat=True).first()
    assert PushCursor.objects.get(name=webpush.FEED).last_id == newest


def test_sent_down_and_assisting_units_hear_of_their_ticket(province, push_on):
    town = device(province, push_on, "gl_town_handler")
    fz_handler = device(province, push_on, "fz_housing_handler")
    webpush.arrivals()
    t = ticket_at(province, Status.IN_PROGRESS, lead="gl_housing")
    lifecycle.sub_dispatch(
        ticket=t, by=province.users["gl_housing_handler"], to_unit=province.units["gl_town"]
    )
    u = ticket_at(province, Status.PENDING_DISPATCH)
    lifecycle.dispatch(
        ticket=u,
        by=province.users["fz_dispatcher"],
        to_unit=province.units["gl_housing"],
        assisting=[province.units["fz_housing"]],
    )

    webpush.arrivals(now=later())

    assert [town.read(m)["number"] for m in push_on.to(town.path)] == [t.number]
    assert [fz_handler.read(m)["number"] for m in push_on.to(fz_handler.path)] == [u.number]


def test_a_bulk_dispatch_makes_one_push_per_user(province, push_on):
    handler = device(province, push_on, "gl_housing_handler")
    webpush.arrivals()
    tickets = [ticket_at(province, Status.DISPATCHED, lead="gl_housing") for _ in range(4)]

    webpush.arrivals(now=later())

    (message,) = push_on.to(handler.path)
    assert handler.read(message) == {"number": tickets[0].number, "title": "4 件新工单待签收"}


def test_a_push_goes_only_to_users_who_may_see_the_ticket(province, push_on):
    t = ticket_at(province, Status.DISPATCHED, lead="gl_housing")
    inside = device(province, push_on, "gl_housing_handler")
    outside = device(province, push_on, "xm_housing_handler")
    users = province.users

    sent = webpush.send(
        [
            webpush.Push(users["gl_housing_handler"].pk, t.pk, t.number, webpush.DUE_SOON),
            webpush.Push(users["xm_housing_handler"].pk, t.pk, t.number, webpush.DUE_SOON),
        ]
    )

    assert sent == 1
    assert len(push_on.to(inside.path)) == 1
    assert push_on.to(outside.path) == []


def test_a_nearly_due_ticket_is_pushed_by_the_sweep(
    province, push_on, make, django_capture_on_commit_callbacks
):
    handler = device(province, push_on, "gl_housing_handler")
    dispatcher = device(province, push_on, "fz_dispatcher")
    outside = device(province, push_on, "xm_dispatcher")
    t = make(Status.DISPATCHED, local(2025, 9, 30, 10, 0))
    soon = t.ack_deadline - (t.ack_deadline - t.dispatched_at) / 10

    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_deadlines(now=soon)

    assert result.yellow == 1
    for phone in (handler, dispatcher):
        (message,) = push_on.to(phone.path)
        assert phone.read(message) == {"number": t.number, "title": "工单临期"}
    assert push_on.to(outside.path) == []


def test_many_warnings_make_one_push_per_user(
    province, push_on, make, django_capture_on_commit_callbacks
):
    handler = device(province, push_on, "gl_housing_handler")
    tickets = [make(Status.IN_PROGRESS, local(2025, 9, 30, 10, 0)) for _ in range(4)]

    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines(now=local(2025, 11, 3, 9, 0))

    (message,) = push_on.to(handler.path)
    assert handler.read(message) == {"number": tickets[0].number, "title": "4 件工单超期，0 件临期"}


def test_a_subscription_the_push_service_forgot_is_dropped(province, push_on):
    t = ticket_at(province, Status.DISPATCHED, lead="gl_housing")
    gone = device(province, push_on, "gl_housing_handler", name="gone")
    kept = device(province, push_on, "gl_housing_handler", name="kept")
    push_on.status[gone.path] = 410
    uid = province.users["gl_housing_handler"].pk

    sent = webpush.send([webpush.Push(uid, t.pk, t.number, webpush.NEW)])

    assert sent == 1
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept.endpoint]
    assert PushSubscription.objects.get().last_sent_at is not None


def test_push_off_sends_nothing(province, service):
    with override_settings(PUSH_SERVICES=[service.url]):
        t = ticket_at(province, Status.DISPATCHED, lead="gl_housing")
        uid = province.users["gl_housing_handler"].pk
        assert webpush.send([webpush.Push(uid, t.pk, t.number, webpush.NEW)]) == 0
        assert webpush.arrivals(now=later()) == 0
        assert webpush.public_key() == ""
        with pytest.raises(InvalidInput) as refused:
            device(province, service, "gl_housing_handler")
    assert refused.value.field == "endpoint"
    assert service.received == []


def test_one_subscription_per_device_and_the_next_user_takes_it_over(province, push_on):
    phone = device(province, push_on, "gl_housing_handler")
    device(province, push_on, "gl_housing_handler", name="gl_housing_handler")  # again
    device(province, push_on, "gl_housing_handler", name="desk")

    assert PushSubscription.objects.filter(endpoint=phone.endpoint).count() == 1
    sub = phone.subscription()
    webpush.subscribe(
        user=province.users["gl_town_handler"],
        endpoint=phone.endpoint,
        p256dh=sub["keys"]["p256dh"],
        auth=sub["keys"]["auth"],
    )
    owners = dict(PushSubscription.objects.values_list("endpoint", "user__username"))
    assert owners[phone.endpoint] == "gl_town_handler"
    assert len(owners) == 2


@pytest.mark.parametrize(
    "change, field",
    [
        ({"endpoint": "http://10.0.0.1/push/x"}, "endpoint"),
        ({"endpoint": "https://fcm.googleapis.com.evil.example/x"}, "endpoint"),
        ({"endpoint": None}, "endpoint"),
        ({"p256dh": "AAAA"}, "keys.p256dh"),
        ({"p256dh": "BAAA" * 21 + "B"}, "keys.p256dh"),
        ({"auth": "c2hvcnQ"}, "keys.auth"),
        ({"auth": None}, "keys.auth"),
    ],
    ids=[
        "internal-host",
        "look-alike-host",
        "no-endpoint",
        "short-key",
        "off-curve",
        "short-auth",
        "no-auth",
    ],
)
def test_a_bad_subscription_is_refused_naming_the_field(province, push_on, change, field):
    sub = Device.new(push_on, "x").subscription()
    args = {"endpoint": sub["endpoint"], **sub["keys"], **change}

    with pytest.raises(InvalidInput) as refused:
        webpush.subscribe(user=province.users["gl_housing_handler"], **args)

    assert refused.value.field == field
    assert refused.value.message_zh and refused.value.message_en
    assert not PushSubscription.objects.exists()


def test_settings_refuse_push_without_keys():
    env = {**os.environ, "HOTLINE_WEB_PUSH": "on", "DJANGO_SETTINGS_MODULE": "hotline.settings"}
    for name in ("HOTLINE_VAPID_PUBLIC_KEY", "HOTLINE_VAPID_PRIVATE_KEY"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, "-c", "import hotline.settings"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert "ImproperlyConfigured: HOTLINE_WEB_PUSH is on but" in run.stderr


def test_keys_that_are_not_a_pair_are_refused():
    other_public, _ = webpush.generate_keys()
    with override_settings(
        WEB_PUSH=True,
        VAPID_PUBLIC_KEY=other_public,
        VAPID_PRIVATE_KEY=PRIVATE,
        VAPID_SUBJECT="ops",
    ):
        assert webpush.problems() == [
            "HOTLINE_VAPID_PUBLIC_KEY is not the public key of HOTLINE_VAPID_PRIVATE_KEY",
            "HOTLINE_VAPID_SUBJECT must be a mailto: or https: address",
        ]
        with pytest.raises(ImproperlyConfigured):
            webpush.public_key()
        with pytest.raises(SystemCheckError, match="hotline.E191"):
            call_command("check")


def test_the_command_makes_a_pair_the_settings_take(capsys):
    call_command("vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())

    with override_settings(
        WEB_PUSH=True,
        VAPID_PUBLIC_KEY=lines["HOTLINE_VAPID_PUBLIC_KEY"],
        VAPID_PRIVATE_KEY=lines["HOTLINE_VAPID_PRIVATE_KEY"],
        VAPID_SUBJECT=SUBJECT,
    ):
        assert webpush.problems() == []
        assert webpush.public_key() == lines["HOTLINE_VAPID_PUBLIC_KEY"]


@pytest.mark.parametrize(
    "endpoint, allowed",
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True),
        ("https://wns2-db5p.notify.windows.com/w/?token=abc", True),
        ("https://updates.push.services.mozilla.com/wpush/v2/abc", True),
        ("http://fcm.googleapis.com/fcm/send/abc", False),
        ("https://fcm.googleapis.com:8443/fcm/send/abc", False),
        ("https://evilnotify.windows.com/w/", False),
        ("https://fcm.googleapis.com.evil.example/x", False),
        ("https://127.0.0.1/push", False),
    ],
    ids=[
        "fcm",
        "windows-wildcard",
        "mozilla",
        "plain-http",
        "other-port",
        "suffix-trick",
        "look-alike",
        "loopback",
    ],
)
def test_only_the_listed_push_services_are_taken(endpoint, allowed):
    assert webpush._allowed_service(endpoint) is allowed
