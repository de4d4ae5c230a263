"""Channels behind one interface: in-app always, e-mail, SMS (log backend), signed webhook."""

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.core import mail

from hotline.supervision import notify
from hotline.supervision.models import Notification, NotificationPreference


def test_preferences_pick_the_channels(province, django_capture_on_commit_callbacks, caplog):
    user = province.users["gl_housing_handler"]
    user.email, user.phone = "h@example.cn", "13800000009"
    user.save()
    NotificationPreference.objects.create(user=user, email=True, sms=True)
    other = province.users["fz_dispatcher"]

    with (
        caplog.at_level(logging.INFO, logger="hotline.sms"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify.send_batch({user.pk: ("时限预警", "正文", "/supervise/"), other.pk: ("t", "", "")})

    assert Notification.objects.count() == 2
    assert [m.to for m in mail.outbox] == [["h@example.cn"]]
    assert "SMS to 138****0009: 【12345】时限预警" in caplog.text
    assert "13800000009" not in caplog.text  # the log holds no full number


def test_webhook_is_signed(province, monkeypatch):
    sent = {}

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    def fake_urlopen(req, timeout):
        sent["body"], sent["sig"] = req.data, req.headers["X-hotline-signature"]
        return Response()

    monkeypatch.setattr(notify.urllib.request, "urlopen", fake_urlopen)
    user = province.users["gl_housing_handler"]

    notify.WebhookChannel().send(user, "标题", "正文", "/x", url="https://hooks.example.cn/h")

    secret = getattr(settings, "HOTLINE_WEBHOOK_SECRET", settings.SECRET_KEY).encode()
    expected = "sha256=" + hmac.new(secret, sent["body"], hashlib.sha256).hexdigest()
    assert sent["sig"] == expected
    assert json.loads(sent["body"])["title"] == "标题"


def test_failing_channel_does_not_stop_the_others(
    province, monkeypatch, django_capture_on_commit_callbacks
):
    user = province.users["gl_housing_handler"]
    user.email = "h@example.cn"
    user.save()
    NotificationPreference.objects.create(user=user, email=True, webhook_url="https://bad.example")

    def boom(*a, **k):
        raise OSError("unreachable")

    monkeypatch.setattr(notify.urllib.request, "urlopen", boom)
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify(user=user, title="标题")

    assert len(mail.outbox) == 1
