"""The calls app's state changes, in one place to look; each lives in the module of its concern.

- events.ingest: CTI events in, calls re-derived (events.py, derive.py)
- agents: sign in / state / sign out, and the state a call puts an agent in (agents.py)
- link_ticket / continue_ticket: a call's tickets (links.py)
- callbacks: the 回拨 queue (callbacks.py); dialing.click_to_dial (dialing.py)
- import_cdr: Asterisk / FreeSWITCH CDR files into the same calls (cdr.py, cdr_formats.py)
"""

import secrets

from django.db import transaction

from hotline.errors import InvalidInput

from . import agents, callbacks, cdr, dialing, events, links
from .models import CallPlatform, DialKind

ingest = events.ingest
sign_in = agents.sign_in
set_state = agents.set_state
sign_out = agents.sign_out
sweep_after_call = agents.sweep_after_call
take_callback = callbacks.take
record_callback = callbacks.record_outcome
click_to_dial = dialing.click_to_dial
link_ticket = links.link_ticket
continue_ticket = links.continue_ticket
import_cdr = cdr.import_cdr


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def create_platform(
    *, code: str, name: str, center, dial_kind: str = DialKind.LOG, dial_url: str = ""
) -> tuple[CallPlatform, str]:
    """A new call platform and its signing secret (shown once; the platform keeps it)."""
    if dial_kind not in DialKind.values:
        raise InvalidInput("不支持的外呼方式", "unknown dial kind", field="dial_kind")
    if not center.is_center:
        raise InvalidInput(
            "呼叫平台须属于热线中心", "a platform belongs to a center", field="center"
        )
    secret = new_secret()
    with transaction.atomic():
        platform = CallPlatform.objects.create(
            code=code,
            name=name,
            center=center,
            secret=secret,
            dial_kind=dial_kind,
            dial_url=dial_url,
        )
    return platform, secret


def rotate_secret(*, platform: CallPlatform) -> str:
    """A new secret for `platform`; the old one stops working at once."""
    platform.secret = new_secret()
    platform.save(update_fields=["secret"])
    return platform.secret
