"""Phone verification: a 6-digit code through the SMS gateway, stored hashed, short-lived.

The gateway is the one notifications use (`supervision.notify`): whatever backend the
deployment gives its SMS channel sends these codes too; in development it writes to the log.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.crypto import phone_q
from hotline.errors import InvalidInput
from hotline.supervision import notify

from . import ratelimit
from .models import PhoneCode

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5


def clean_phone(value: str) -> str:
    """A mainland mobile number (the only kind an SMS reaches), spaces and dashes dropped."""
    phone = re.sub(r"[\s-]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not MOBILE_RE.match(phone):
        raise InvalidInput(
            "请填写正确的11位手机号码", "phone must be an 11-digit mobile number", field="phone"
        )
    return phone


def _hash(phone: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def sms_backend():
    """The backend of the notifications' SMS channel."""
    for channel in notify.CHANNELS:
        if isinstance(channel, notify.SmsChannel):
            return channel.backend
    return notify.SmsLogBackend()


def send_code(*, phone: str, ip: str, now=None) -> PhoneCode:
    """Send a fresh code to `phone`; an earlier unused code of the phone stops working."""
    now = now or timezone.now()
    phone = clean_phone(phone)
    for kind, value in (("code_phone_minute", phone), ("code_phone", phone), ("code_ip", ip)):
        ratelimit.check(kind, value, now=now)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        PhoneCode.objects.filter(phone_q(phone, "phone"), used_at__isnull=True).update(used_at=now)
        row = PhoneCode.objects.create(
            phone=phone, code_hash=_hash(phone, code), created_at=now, expires_at=now + CODE_TTL
        )
        for kind, value in (("code_phone_minute", phone), ("code_phone", phone), ("code_ip", ip)):
            ratelimit.hit(kind, value, now=now)
    minutes = int(CODE_TTL.total_seconds() // 60)
    # After commit: a rolled-back request must not have texted anyone.
    transaction.on_commit(
        lambda: sms_backend().send(
            phone, f"【12345】您的验证码为{code}，{minutes}分钟内有效。如非本人操作请忽略。"
        )
    )
    return row


def _wrong_code():
    return InvalidInput("验证码不正确或已失效，请重新获取", "wrong or expired code", field="code")


def verify(*, phone: str, code: str, now=None) -> None:
    """Accept `code` for `phone` once, or raise InvalidInput(field="code").

    Each wrong try counts against the newest code; after MAX_ATTEMPTS it is dead, so six
    digits cannot be guessed within one code's life.
    """
    now = now or timezone.now()
    code = (code or "").strip()
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone_q(phone, "phone"), used_at__isnull=True, expires_at__gt=now)
            .order_by("-id")
            .first()
        )
        if row is None or row.attempts >= MAX_ATTEMPTS:
            raise _wrong_code()
        if not (len(code) == 6 and hmac.compare_digest(row.code_hash, _hash(phone, code))):
            PhoneCode.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
            wrong = _wrong_code()
        else:
            PhoneCode.objects.filter(pk=row.pk).update(used_at=now)
            return
    # Raised outside the block: the counted attempt must commit, not roll back.
    raise wrong
