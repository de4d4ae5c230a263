"""Click-to-dial: the product asks the call platform to connect an agent's phone to a number.

Delivery is a family of small dialer classes behind one interface (like FixMyStreet's senders),
chosen by `CallPlatform.dial_kind`: `log` for development (writes a line, places no call),
`http` (a signed JSON POST to the platform's URL, exchange.signing's headers), and
`kamailio`, written with the Kamailio deployment (hotline/calls/platforms/kamailio.py), which
registers itself here. The call's result comes back as CTI events carrying `request_id`.
"""

import json
import logging
import urllib.error
import urllib.request
import uuid

from django.db import transaction
from django.utils import timezone

from hotline.crypto import mask_phone
from hotline.errors import ErrorCode, HotlineError, InvalidInput
from hotline.exchange import signing

from . import callbacks
from .cti import PLATFORM_HEADER
from .models import (
    AgentSession,
    Call,
    CallPlatform,
    DialPurpose,
    DialRequest,
    DialStatus,
)

log = logging.getLogger("hotline.calls.dial")


class DialFailed(HotlineError):
    """The platform did not accept the request: 502, recorded on the DialRequest."""

    status = 502
    code = ErrorCode.CONFLICT


class Dialer:
    """One way of asking a platform to place a call. `dial` raises DialFailed on refusal."""

    kind = ""

    def __init__(self, platform: CallPlatform):
        self.platform = platform

    def dial(self, request: DialRequest) -> None:
        raise NotImplementedError

    def payload(self, request: DialRequest) -> dict:
        """What every dialer tells the platform: who calls whom, and the id to report back."""
        return {
            "request_id": request.request_id,
            "seat": request.seat.code,
            "extension": request.seat.extension,
            "number": request.number,
            "purpose": request.purpose,
        }


class LogDialer(Dialer):
    """Development: logs the request, places no call."""

    kind = "log"

    def dial(self, request: DialRequest) -> None:
        # Logs are kept outside the database's protection: the number masked (issue 18).
        shown = {**self.payload(request), "number": mask_phone(request.number)}
        log.warning("click-to-dial %s", json.dumps(shown, ensure_ascii=False))


class HttpDialer(Dialer):
    """POSTs the request, signed with the platform's secret, to `CallPlatform.dial_url`."""

    kind = "http"
    timeout = 5

    def dial(self, request: DialRequest) -> None:
        if not self.platform.dial_url:
            raise DialFailed("平台未配置点击外呼地址", "the platform has no dial URL")
        body = json.dumps(self.payload(request), ensure_ascii=False).encode()
        headers = signing.headers(self.platform.code, self.platform.secret, body)
        headers[PLATFORM_HEADER] = headers.pop(signing.SYSTEM_HEADER)
        req = urllib.request.Request(
            self.platform.dial_url,
            data=body,
            method="POST",
            headers={**headers, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                resp.read()
        except (urllib.error.URLError, OSError) as exc:
            raise DialFailed(
                f"呼叫平台拒绝或无法连接：{exc}", f"the platform refused or is unreachable: {exc}"
            ) from None


DIALERS: dict[str, type[Dialer]] = {LogDialer.kind: LogDialer, HttpDialer.kind: HttpDialer}


def register(dialer: type[Dialer]) -> type[Dialer]:
    """Make `dialer` the one for platforms whose dial_kind is `dialer.kind` (a decorator)."""
    DIALERS[dialer.kind] = dialer
    return dialer


def dialer_for(platform: CallPlatform) -> Dialer:
    cls = DIALERS.get(platform.dial_kind)
    if cls is None:
        raise DialFailed(
            f"不支持的外呼方式：{platform.dial_kind}", f"no dialer for {platform.dial_kind!r}"
        )
    return cls(platform)


def _platform_for(center) -> CallPlatform:
    # The platform of the agent's center, or of the nearest center above it.
    found = {
        p.center.path: p
        for p in CallPlatform.objects.filter(is_active=True).select_related("center")
        if center.path.startswith(p.center.path)
    }
    if not found:
        raise InvalidInput("本中心未接入呼叫平台", "no call platform serves this center")
    return found[max(found, key=len)]


def click_to_dial(*, user, number: str, purpose: str, callback=None, ticket=None) -> DialRequest:
    """Ask the platform to connect the agent's seat to `number`; the result comes as events."""
    number = "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")
    if not 3 <= len(number) <= 20:
        raise InvalidInput("号码不正确", "the number is not valid", field="number")
    if purpose not in DialPurpose.values:
        raise InvalidInput("外呼用途不正确", "unknown purpose", field="purpose")
    session = (
        AgentSession.objects.select_related("seat", "center")
        .filter(user=user, ended_at=None)
        .first()
    )
    if session is None:
        raise InvalidInput("请先签入座席", "sign in to a seat first", field="seat")
    platform = _platform_for(session.center)
    with transaction.atomic():
        request = DialRequest.objects.create(
            request_id=uuid.uuid4().hex,
            user=user,
            platform=platform,
            seat=session.seat,
            number=number,
            purpose=purpose,
            callback=callback,
            ticket=ticket,
            created_at=timezone.now(),
        )
        if callback is not None:
            callbacks.count_attempt(callback)
    # The platform is asked outside the transaction: a slow platform holds no locks, and the
    # request row says what happened either way.
    try:
        dialer_for(platform).dial(request)
    except DialFailed as exc:
        DialRequest.objects.filter(pk=request.pk).update(
            status=DialStatus.FAILED, error=exc.message_zh[:300]
        )
        request.status, request.error = DialStatus.FAILED, exc.message_zh[:300]
        raise
    DialRequest.objects.filter(pk=request.pk).update(status=DialStatus.SENT)
    request.status = DialStatus.SENT
    return request


def on_call_changed(call: Call, request_id: str) -> None:
    """Tie the call the platform placed to its request, and the request's result to it."""
    status = None
    if call.outcome == "outbound_answered":
        status = DialStatus.ANSWERED
    elif call.outcome == "outbound_failed":
        status = DialStatus.NOT_ANSWERED
    request = DialRequest.objects.filter(request_id=request_id, platform_id=call.platform_id)
    request.update(call=call, **({"status": status} if status else {}))
