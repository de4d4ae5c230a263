"""What is down: the health report (`/api/v1/health`) and the 503 answer to every request
that meets an unreachable database.

A database that crashed, restarts or fails over makes psycopg raise OperationalError (or
Django InterfaceError on a connection it already knows is closed). Those are not bugs: the
request can simply be sent again a few seconds later. The API answers them with 503, a
Retry-After header and the one error body; a page gets a plain Chinese 503 page, built
without the database (the shell around ordinary pages reads it).
"""

import logging
import sys
import time

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.db.models import Min
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views import defaults

from hotline import dbrouter
from hotline.errors import ErrorCode
from hotline.exchange.models import Delivery, DeliveryState, OutboxMessage, Subscription
from hotline.ops.models import WorkerHeartbeat
from hotline.ops.services import STALE_AFTER, is_unavailable

log = logging.getLogger("hotline.health")

UNAVAILABLE_ZH = "数据库暂时不可用，请稍后重试。登记工单请带同一外部编号重试，不会重复登记。"
UNAVAILABLE_EN = (
    "the database is unavailable; retry later. Retry a registration with the same "
    "external_ref: it never makes a second ticket."
)
PAGE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>系统暂时不可用</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto">
<h1>系统暂时不可用</h1>
<p>数据库正在恢复，请约 {seconds} 秒后刷新本页。已确认登记的工单不会丢失。</p>
<p>如需受理来电，请稍候片刻后重新提交；同一工单重复提交不会重复登记。</p>
</body></html>
"""
# Above this backlog age (seconds) of the oldest pending webhook delivery, the exchange is
# falling behind: reported as degraded.
BACKLOG_AGE_LIMIT = 300
COUNT_CAP = 100_000  # counts stop here: a health check must stay cheap on a large backlog


def retry_after() -> int:
    """Seconds a client should wait before retrying (HOTLINE_RETRY_AFTER_SECONDS)."""
    return int(getattr(settings, "HOTLINE_RETRY_AFTER_SECONDS", 5))


def unavailable_body(zh: str = UNAVAILABLE_ZH, en: str = UNAVAILABLE_EN, field=None) -> dict:
    return {"code": str(ErrorCode.UNAVAILABLE), "field": field, "message_zh": zh, "message_en": en}


def unavailable_response(request) -> HttpResponse:
    """503 for a request that met an unreachable database: JSON under /api/, a page elsewhere."""
    if request.path.startswith("/api/") or request.path.startswith("/open311/"):
        response = JsonResponse(unavailable_body(), status=503)
    else:
        response = HttpResponse(
            PAGE.format(seconds=retry_after()), status=503, content_type="text/html; charset=utf-8"
        )
    response["Retry-After"] = str(retry_after())
    return response


def server_error(request):
    """handler500: an unreachable database is a 503, anything else Django's 500 page.

    Django calls this for every uncaught exception of a view or a middleware, with the
    exception still being handled (so sys.exc_info() names it)."""
    exc = sys.exc_info()[1]
    if exc is not None and is_unavailable(exc):
        return unavailable_response(request)
    return defaults.server_error(request)


# ---- the health report ----------------------------------------------------------------------


def _database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        log.warning("health: database unreachable: %s", str(exc).strip()[:200])
        connection.close()  # a broken connection would fail the next request again
        return {"up": False, "latency_ms": None, "error": type(exc).__name__}
    return {"up": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def replica_alias() -> str | None:
    """The configured read replica's alias (HOTLINE_REPLICA_ALIAS), or None."""
    alias = getattr(settings, "HOTLINE_REPLICA_ALIAS", "replica")
    return alias if alias in settings.DATABASES else None


REPLICA_LAG_SQL = dbrouter.REPLICA_LAG_SQL


def _replica() -> dict | None:
    alias = replica_alias()
    if alias is None:
        return None
    conn = connections[alias]
    try:
        with conn.cursor() as cursor:
            cursor.execute(REPLICA_LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError as exc:
        conn.close()
        return {"alias": alias, "up": False, "lag_seconds": None, "error": type(exc).__name__}
    if not in_recovery:  # configured as a replica, but it is a primary (promoted?)
        return {"alias": alias, "up": True, "lag_seconds": None, "error": "not_a_replica"}
    return {"alias": alias, "up": True, "lag_seconds": float(lag or 0)}


def _workers(now) -> dict:
    fresh = now - STALE_AFTER
    out = {}
    for kind in ("worker", "exchange"):
        rows = WorkerHeartbeat.objects.filter(kind=kind)
        last = rows.order_by("-seen_at").values_list("seen_at", flat=True).first()
        out[kind] = {
            "alive": rows.filter(seen_at__gte=fresh).count(),
            "last_seen_seconds": round((now - last).total_seconds(), 1) if last else None,
        }
    return out


def _capped(queryset) -> int:
    return queryset[:COUNT_CAP].count()


def _outbox(now) -> dict:
    subs = Subscription.objects.filter(is_active=True, system__is_active=True)
    cursor = subs.aggregate(low=Min("cursor"))["low"]
    unqueued = 0 if cursor is None else _capped(OutboxMessage.objects.filter(id__gt=cursor))
    pending = Delivery.objects.filter(state=DeliveryState.PENDING, subscription__in=subs)
    oldest = pending.order_by("message_id").values_list("message__created_at", flat=True).first()
    return {
        "subscriptions": subs.count(),
        "unqueued": unqueued,
        "pending": _capped(pending),
        "dead": _capped(Delivery.objects.filter(state=DeliveryState.DEAD)),
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
    }


def report(*, detail: bool) -> tuple[int, dict]:
    """(HTTP status, body): 503 when the database is down, else 200 with "ok" or "degraded".

    Without `detail` only the overall status: how many workers run, how far the replica and
    the exchange lag and how the database is named are operational facts an anonymous
    caller (a load balancer needs no more) has no use for, and an attacker would."""
    now = timezone.now()
    database = _database()
    body = {"status": "ok", "checked_at": now.isoformat(), "database": database}
    if not database["up"]:
        body.update(status="down", replica=_replica(), workers=None, outbox=None)
    else:
        try:
            body.update(replica=_replica(), workers=_workers(now), outbox=_outbox(now))
        except DatabaseError as exc:  # went away between the checks
            connection.close()
            body.update(status="down", database={"up": False, "latency_ms": None,
                                                 "error": type(exc).__name__})  # fmt: skip
    if body["status"] == "ok" and _degraded(body):
        body["status"] = "degraded"
    code = 503 if body["status"] == "down" else 200
    return code, body if detail else {"status": body["status"], "checked_at": body["checked_at"]}


def _degraded(body) -> bool:
    limit = float(getattr(settings, "HOTLINE_REPLICA_LAG_LIMIT_SECONDS", 30))
    replica = body["replica"]
    if replica is not None and (replica.get("error") or (replica["lag_seconds"] or 0) > limit):
        return True
    workers, outbox = body["workers"], body["outbox"]
    if workers["worker"]["alive"] == 0:
        return True
    if outbox["subscriptions"] and workers["exchange"]["alive"] == 0:
        return True
    oldest = outbox["oldest_pending_seconds"]
    return oldest is not None and oldest > BACKLOG_AGE_LIMIT
