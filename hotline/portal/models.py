"""The citizen portal's own records (verification codes, rate-limit hits). Import jobs are
the exchange's (hotline.exchange.models.ImportJob).

Rate-limit hits are rows, not cache entries: every gunicorn worker counts the same hits,
whatever cache backend the deployment has.
"""

from django.db import models

from hotline.crypto import EncryptedTextField, PhoneHashField, mask_phone


class PhoneCode(models.Model):
    """A 6-digit code sent to a phone; only its keyed hash is stored. The phone is
    SM4-encrypted and found by its keyed hash (hotline/crypto.py, issue 18)."""

    phone = EncryptedTextField("手机号", max_length=20)
    phone_hash = PhoneHashField(source="phone", db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField("发送时间")
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信验证码"

    def __str__(self):
        return f"{mask_phone(self.phone)} {self.created_at:%Y-%m-%d %H:%M}"


class RateHit(models.Model):
    """One counted action (code sent, demand submitted, lookup) of one phone or address.

    `key` is a keyed hash of the phone or IP address: the table says how often, not who.
    """

    kind = models.CharField(max_length=24)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "created_at"], name="portal_ratehit_key")]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
