"""Web Push (issue 19): a phone hears of a new ticket in its unit's inbox and of a ticket
nearly due, with the app closed.

A push carries the ticket's number and a fixed title, nothing else: it crosses the browser
vendor's push service, so no citizen, no address, not even the ticket's own title (which often
names a place or a person). The page opened from it checks scope as any page does.

Push is on when HOTLINE_WEB_PUSH is on; settings refuse that without the VAPID keys, and the
system check refuses keys that do not make a pair. Sending happens in the worker only (the
inbox feed below, the deadline sweep): a request never waits on a push service. Each push
goes only to users who may see its ticket at the time it is sent (`scope.visible_tickets`).
"""

import base64
import functools
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from pywebpush import WebPushException, webpush

from hotline.errors import InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import UNIT_ROLES, Membership, User
from hotline.tickets.models import Assignment

from .models import PushCursor, PushSubscription

log = logging.getLogger("hotline.push")

NEW = "新工单待签收"
DUE_SOON = "工单临期"
OVERDUE = "工单超期"
# A catch-up sweep may warn one user of many tickets: past this, one push says how many.
MAX_PER_USER = 3
TIMEOUT_SECONDS = 5
# A push lives this long at the push service while the phone is off (seconds).
TTL_SECONDS = 12 * 3600
# Assignments older than this when the feed reads them are not announced: after a long stop
# of the worker, or for an import of old tickets, a burst of stale pushes helps nobody.
STALE_AFTER = timedelta(hours=1)
# An assignment is read once its transaction must have committed: ids are drawn before
# commit, and a cursor past a later id would never see an earlier one committed after it.
SETTLE = timedelta(seconds=5)
FEED = "inbox"
BATCH = 2000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Keys:
    public: str
    private: str
    subject: str


def generate_keys() -> tuple[str, str]:
    """A new VAPID pair: (public key as the browser takes it, private key), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _public_of(key), _b64(key.private_numbers().private_value.to_bytes(32, "big"))


def _public_of(key) -> str:
    return _b64(key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def problems() -> list[str]:
    """What is wrong with the push settings (empty when push is off or well set)."""
    if not settings.WEB_PUSH:
        return []
    return list(
        _problems(settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT)
    )


@functools.lru_cache(maxsize=4)
def _problems(public: str, private: str, subject: str) -> tuple[str, ...]:
    # Every page asks for the public key: the pair is checked once per set of settings.
    try:
        raw = _unb64(private)
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (ValueError, TypeError):
        return ("HOTLINE_VAPID_PRIVATE_KEY is not a base64url P-256 private key (32 bytes)",)
    out = []
    if len(raw) != 32:
        out.append("HOTLINE_VAPID_PRIVATE_KEY must be 32 bytes (base64url)")
    if _public_of(key) != public:
        out.append("HOTLINE_VAPID_PUBLIC_KEY is not the public key of HOTLINE_VAPID_PRIVATE_KEY")
    if not subject.startswith(("mailto:", "https://")):
        out.append("HOTLINE_VAPID_SUBJECT must be a mailto: or https: address")
    return tuple(out)


def keys() -> Keys | None:
    """The VAPID keys when push is on, None when it is off."""
    if not settings.WEB_PUSH:
        return None
    wrong = problems()
    if wrong:
        raise ImproperlyConfigured("; ".join(wrong))
    return Keys(settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT)


def public_key() -> str:
    """What the page hands the service worker to subscribe with ('' when push is off)."""
    k = keys()
    return k.public if k else ""


# --- subscriptions ---------------------------------------------------------------------------


def _allowed_service(endpoint: str) -> bool:
    """Is `endpoint` on one of the push services of HOTLINE_PUSH_SERVICES? The worker POSTs to
    it, so a user must not make it POST to a host inside the network."""
    url = urlsplit(endpoint)
    for allowed in settings.PUSH_SERVICES:
        a = urlsplit(allowed)
        host = a.hostname or ""
        same_host = url.hostname == host or (
            host.startswith("*.") and (url.hostname or "").endswith(host[1:])
        )
        if url.scheme == a.scheme and same_host and url.port == a.port:
            return True
    return False


def _check(endpoint, p256dh, auth):
    if not isinstance(endpoint, str) or not _allowed_service(endpoint) or len(endpoint) > 1000:
        raise InvalidInput(
            "推送地址不是受支持的推送服务",
            "endpoint is not a supported push service",
            field="endpoint",
        )
    try:
        point = _unb64(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError
    except (ValueError, TypeError):
        raise InvalidInput(
            "设备公钥无效", "keys.p256dh is not a P-256 public key", field="keys.p256dh"
        ) from None
    try:
        secret = _unb64(auth)
    except (ValueError, TypeError):
        secret = b""
    if len(secret) != 16:
        raise InvalidInput(
            "认证密钥无效", "keys.auth must be 16 bytes (base64url)", field="keys.auth"
        )


def subscribe(*, user: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep the device's subscription for `user`; the device's earlier user loses it."""
    if keys() is None:
        raise InvalidInput("未启用消息推送", "web push is not enabled", field="endpoint")
    _check(endpoint, p256dh, auth)
    sub, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user": user, "p256dh": p256dh, "auth": auth, "created_at": timezone.now()},
    )
    return sub


def unsubscribe(*, user: User, endpoint: str) -> int:
    """Forget the user's subscription of this device (signing out, or push turned off)."""
    return PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()[0]


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Push:
    user_id: int
    ticket_id: int
    number: str
    title: str


def payload(number: str, title: str) -> str:
    """The whole message: the number and the title, no citizen data."""
    return json.dumps({"number": number, "title": title}, ensure_ascii=False)


def _in_scope(pushes: list[Push]) -> list[Push]:
    """The pushes whose user may see the ticket now (rule 2)."""
    by_user = defaultdict(list)
    for p in pushes:
        by_user[p.user_id].append(p)
    users = User.objects.in_bulk(by_user)
    out = []
    for user_id, mine in by_user.items():
        user = users.get(user_id)
        if user is None:
            continue
        visible = set(
            scope.visible_tickets(user)
            .filter(pk__in={p.ticket_id for p in mine})
            .values_list("pk", flat=True)
        )
        out.extend(p for p in mine if p.ticket_id in visible)
    return out


def send(pushes: list[Push]) -> int:
    """Send each push to every device of its user, within scope; returns the pushes delivered.
    A subscription the push service no longer knows (404, 410) is forgotten."""
    k = keys()
    if k is None or not pushes:
        return 0
    pushes = _in_scope(pushes)
    subs = defaultdict(list)
    for s in PushSubscription.objects.filter(user_id__in={p.user_id for p in pushes}):
        subs[s.user_id].append(s)
    sent, gone, reached = 0, set(), set()
    with requests.Session() as session:
        for p in pushes:
            for s in subs.get(p.user_id, []):
                if s.pk in gone:
                    continue
                try:
                    webpush(
                        subscription_info={
                            "endpoint": s.endpoint,
                            "keys": {"p256dh": s.p256dh, "auth": s.auth},
                        },
                        data=payload(p.number, p.title),
                        vapid_private_key=k.private,
                        vapid_claims={"sub": k.subject},
                        ttl=TTL_SECONDS,
                        timeout=TIMEOUT_SECONDS,
                        requests_session=session,
                    )
                except WebPushException as e:
                    status = e.response.status_code if e.response is not None else None
                    if status in (404, 410):
                        gone.add(s.pk)
                    else:
                        log.warning("push to user %s failed: %s", p.user_id, status or e)
                    continue
                except requests.RequestException as e:
                    log.warning("push to user %s failed: %s", p.user_id, e)
                    continue
                sent += 1
                reached.add(s.pk)
    PushSubscription.objects.filter(pk__in=gone).delete()
    PushSubscription.objects.filter(pk__in=reached).update(last_sent_at=timezone.now())
    return sent


def warned(per_user: dict[int, list[tuple[int, str, bool]]]) -> list[Push]:
    """The sweep's warnings as pushes: {user id: [(ticket id, number, overdue)]}; past
    MAX_PER_USER, one push for all of a user's tickets (the first one's number)."""
    out = []
    for user_id, items in per_user.items():
        if len(items) > MAX_PER_USER:
            late = sum(1 for *_, overdue in items if overdue)
            pk, number, _ = items[0]
            title = f"{late} 件工单超期，{len(items) - late} 件临期"
            out.append(Push(user_id, pk, number, title))
            continue
        out.extend(Push(user_id, pk, number, OVERDUE if o else DUE_SOON) for pk, number, o in items)
    return out


# --- the inbox feed --------------------------------------------------------------------------


def _cursor() -> PushCursor | None:
    """The feed's cursor, locked; made at the newest assignment on the first run, so that
    turning push on never announces the tickets already in the inboxes."""
    PushCursor.objects.get_or_create(
        name=FEED,
        defaults={
            "last_id": Assignment.objects.order_by("-id").values_list("id", flat=True).first() or 0
        },
    )
    query = PushCursor.objects.filter(name=FEED)
    if connection.features.has_select_for_update_skip_locked:
        return query.select_for_update(skip_locked=True).first()
    return query.select_for_update().first()


def arrivals(*, now=None) -> int:
    """The periodic job: push each ticket that arrived in a unit's inbox (dispatched, sent
    down, or assisting) to the unit's handlers and leaders. Returns the pushes delivered."""
    if keys() is None:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        cursor = _cursor()
        if cursor is None:
            return 0  # another worker is reading the feed
        rows = list(
            Assignment.objects.filter(id__gt=cursor.last_id)
            .order_by("id")
            .values_list(
                "id", "ticket_id", "unit_id", "assigned_at", "is_active", "ticket__number"
            )[:BATCH]
        )
        settled = []
        for row in rows:
            if row[3] > now - SETTLE:
                break  # not settled yet: it and every row after it wait for the next run
            settled.append(row)
        if not settled:
            return 0
        fresh = [r for r in settled if r[4] and r[3] >= now - STALE_AFTER]
        members = defaultdict(set)
        for unit_id, user_id in Membership.objects.filter(
            unit_id__in={r[2] for r in fresh},
            role__in=UNIT_ROLES,
            is_active=True,
            user__is_active=True,
        ).values_list("unit_id", "user_id"):
            members[unit_id].add(user_id)
        pushes = {
            Push(user_id, ticket_id, number, NEW)
            for _id, ticket_id, unit_id, _at, _active, number in fresh
            for user_id in members[unit_id]
        }
        PushCursor.objects.filter(pk=cursor.pk).update(last_id=settled[-1][0])
        # Sent while the cursor is held: a crash before the commit sends them again (at least
        # once), never skips them; a second worker skips the locked cursor meanwhile.
        return send(_folded(_in_scope(sorted(pushes, key=lambda p: (p.ticket_id, p.user_id)))))


def _folded(pushes: list[Push]) -> list[Push]:
    """Past MAX_PER_USER new tickets for one user in one run (a bulk dispatch), one push that
    says how many, with the first one's number."""
    per_user = defaultdict(list)
    for p in pushes:
        per_user[p.user_id].append(p)
    out = []
    for user_id, mine in per_user.items():
        if len(mine) > MAX_PER_USER:
            out.append(
                Push(user_id, mine[0].ticket_id, mine[0].number, f"{len(mine)} 件新工单待签收")
            )
        else:
            out.extend(mine)
    return out
