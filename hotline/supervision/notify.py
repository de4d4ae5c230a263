"""Notifications: the in-app row always, other channels by the user's preference.

Every channel is a small sender class with one method, `send(user, title, body, link)`; the
external ones run after the transaction commits, so a rolled-back sweep sends nothing.
"""

import hashlib
import hmac
import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from hotline.crypto import mask_phone
from hotline.orgs.models import User

from .models import Notification, NotificationPreference

log = logging.getLogger("hotline.notify")
sms_log = logging.getLogger("hotline.sms")


class EmailChannel:
    name = "email"

    def wants(self, pref) -> bool:
        return pref.email

    def send(self, user, title, body, link):
        if user.email:
            send_mail(title, f"{body}\n\n{link}", None, [user.email], fail_silently=False)


class SmsLogBackend:
    """The development SMS gateway: writes the message to the log instead of sending it.
    The number is masked: logs are kept and read more widely than the encrypted columns."""

    def send(self, phone: str, text: str):
        sms_log.info("SMS to %s: %s", mask_phone(phone), text)


class SmsChannel:
    name = "sms"

    def __init__(self, backend=None):
        self.backend = backend or SmsLogBackend()

    def wants(self, pref) -> bool:
        return pref.sms

    def send(self, user, title, body, link):
        if user.phone:
            # A short text: SMS gateways bill per 70 characters.
            self.backend.send(user.phone, f"【12345】{title}"[:70])


def sign(payload: bytes) -> str:
    """The HMAC-SHA256 signature a receiver checks in X-Hotline-Signature."""
    secret = getattr(settings, "HOTLINE_WEBHOOK_SECRET", settings.SECRET_KEY).encode()
    return "sha256=" + hmac.new(secret, payload, hashlib.sha256).hexdigest()


class WebhookChannel:
    name = "webhook"
    timeout = 5

    def wants(self, pref) -> bool:
        return bool(pref.webhook_url)

    def send(self, user, title, body, link, *, url=None):
        payload = json.dumps(
            {"user": user.username, "title": title, "body": body, "link": link},
            ensure_ascii=False,
        ).encode()
        req = urllib.request.Request(
            url or user.notification_preference.webhook_url,
            data=payload,
            headers={"Content-Type": "application/json", "X-Hotline-Signature": sign(payload)},
        )
        with urllib.request.urlopen(req, timeout=self.timeout):  # noqa: S310 - admin-set URL
            pass


CHANNELS = [EmailChannel(), SmsChannel(), WebhookChannel()]


def _deliver(user_ids, messages):
    prefs = NotificationPreference.objects.filter(user_id__in=user_ids).select_related("user")
    for pref in prefs:
        title, body, link = messages[pref.user_id]
        for channel in CHANNELS:
            if not channel.wants(pref):
                continue
            try:
                channel.send(pref.user, title, body, link)
            except Exception:  # one failing channel must not stop the others
                log.exception("notification via %s to %s failed", channel.name, pref.user_id)


def send_batch(messages: dict, *, now=None) -> int:
    """messages: {user id: (title, body, link)}; one in-app row each, other channels after commit."""
    now = now or timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient_id=uid, title=t[:200], body=b, link=link, created_at=now)
        for uid, (t, b, link) in messages.items()
    )
    ids = list(messages)
    transaction.on_commit(lambda: _deliver(ids, messages))
    return len(messages)


def notify(*, user: User, title: str, body: str = "", link: str = "") -> int:
    """One notification to one user."""
    return send_batch({user.pk: (title, body, link)})


def unread_count(user) -> int:
    """The number on the bell."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user, ids=None) -> int:
    """Mark the user's notifications (all, or `ids`) read; returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
