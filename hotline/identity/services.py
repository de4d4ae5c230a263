"""Second-factor enrolment and recovery codes (django-otp devices), the only writers of them."""

import secrets

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.errors import InvalidInput

RECOVERY_CODES = 10
TOTP_NAME = "身份验证器"
RECOVERY_NAME = "恢复码"


def start_enrolment(*, user) -> TOTPDevice:
    """The user's unconfirmed authenticator (made once, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


@transaction.atomic
def confirm_enrolment(*, user, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator with a code it shows; returns it and fresh recovery codes.
    A wrong code changes nothing."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise InvalidInput("没有待绑定的身份验证器", "no authenticator to confirm", field="token")
    if not device.verify_token((token or "").strip()):
        raise InvalidInput("验证码不正确或已过期", "wrong or expired code", field="token")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator per user: a new one replaces the old.
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    return device, new_recovery_codes(user=user)


@transaction.atomic
def new_recovery_codes(*, user) -> list[str]:
    """Ten single-use codes (shown once); the previous ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def remove_second_factor(*, user) -> None:
    """Drop the user's authenticator and recovery codes (an administrator resets a lost one)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
