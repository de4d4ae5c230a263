"""How a connected system authenticates: its code and an HMAC signature over the body
(hotline/exchange/signing.py). Below the API modules, so that routers of the exchange share it
without importing each other."""

from ninja.security import APIKeyHeader

from hotline.errors import Forbidden

from . import signing
from .models import ConnectedSystem


class SystemSignature(APIKeyHeader):
    """X-Hotline-System + X-Hotline-Timestamp + X-Hotline-Signature (HMAC over the body)."""

    param_name = signing.SIGNATURE_HEADER

    def __init__(self, kinds=None):
        super().__init__()
        # The kinds of system an endpoint serves (None: all): a police partner cannot push
        # work orders as a sub-center, nor a sub-center report on hand-overs.
        self.kinds = kinds

    def authenticate(self, request, key):
        code = request.headers.get(signing.SYSTEM_HEADER)
        if not code:
            return None  # not a system: let the next method (a user's token) try
        system = (
            ConnectedSystem.objects.select_related("unit", "service_user")
            .filter(code=code, is_active=True)
            .first()
        )
        if system is None:
            raise signing.SignatureRefused(
                "接入系统不存在或已停用",
                "unknown or inactive system",
                field=signing.SYSTEM_HEADER,
            )
        signing.check(
            system.secret, request.headers.get(signing.TIMESTAMP_HEADER), key, request.body
        )
        if self.kinds is not None and system.kind not in self.kinds:
            raise Forbidden("该接入系统不能使用此接口", "this system may not use this endpoint")
        return system
