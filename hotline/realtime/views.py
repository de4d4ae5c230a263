"""The live stream: Server-Sent Events from an async view, one per open page.

Why SSE over an async Django view rather than Channels or django-eventstream: the pages only
listen (every action is an ordinary POST), browsers reconnect on their own and send
`Last-Event-ID`, the stream is plain HTTP through any proxy, and an idle stream costs one asyncio
task and a queue, not a thread or a database connection (docs/decisions.md).
"""

import json

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import JsonResponse, StreamingHttpResponse

from . import topics as audience
from .broker import broker

# How long the browser waits before reconnecting after a dropped stream (milliseconds).
RETRY_MS = 2000


def _error(status, code, zh, en, field="topic"):
    return JsonResponse(
        {"code": code, "field": field, "message_zh": zh, "message_en": en}, status=status
    )


def _topics_for(user, wanted: list[str]) -> list[str] | None:
    """The topics to listen to, or None if one asked for is out of the user's scope."""
    if not wanted:
        return audience.default_topics(user)
    return wanted if all(audience.allowed(user, t) for t in wanted) else None


def _release_connection() -> None:
    # An open stream must not hold a database connection for hours. Under ASGI the request's
    # sync work (middlewares, the scope check) ran in one thread with its own connection,
    # which the middlewares' response phase may have used again (a session saved): by the
    # time the body is sent, all of that is done, so let it go (never inside a test's
    # transaction).
    if not connection.in_atomic_block:
        connection.close()


def _frame(message) -> bytes:
    topic = json.dumps(message.topic)
    return f'id: {message.id}\ndata: {{"topic": {topic}, "data": {message.payload}}}\n\n'.encode()


async def _events(sub, *, heartbeat: float, lifetime: float):
    """The stream's body: messages as they come, a comment line when idle (keeps proxies and
    the browser from timing out), and an end after `lifetime` so that a user who lost access
    is re-checked when the browser reconnects."""
    loop = sub.loop
    ends = loop.time() + lifetime
    try:
        await sync_to_async(_release_connection)()
        yield f"retry: {RETRY_MS}\n: connected\n\n".encode()
        while (left := ends - loop.time()) > 0:
            message = await sub.get(min(heartbeat, left))
            if message is None:
                yield b": ping\n\n"
                continue
            chunk = [_frame(message)]
            while not sub.queue.empty():  # a burst goes out as one write
                chunk.append(_frame(sub.queue.get_nowait()))
            yield b"".join(chunk)
    finally:
        sub.close()


async def stream(request):
    """GET /realtime/stream/[?topic=…]: the user's live messages as text/event-stream."""
    if request.method != "GET":
        # A stream only listens: a POST (or a CSRF-less form) must not open one.
        response = _error(
            405, "method_not_allowed", "只能用 GET 打开", "only GET opens it", "method"
        )
        response["Allow"] = "GET"
        return response
    user = await request.auser()
    if not user.is_authenticated:
        return _error(401, "unauthenticated", "请先登录", "log in first")
    wanted = request.GET.getlist("topic")
    topics = await sync_to_async(_topics_for)(user, wanted)
    if topics is None:
        # Rule 2: a topic outside the scope does not exist.
        return _error(404, "not_found", "订阅的频道不存在", "no such topic")
    last = request.headers.get("Last-Event-ID", "") or request.GET.get("last_event_id", "")
    after = int(last) if last.isdigit() else None
    sub = await broker().subscribe(topics, after=after)
    response = StreamingHttpResponse(
        _events(
            sub,
            heartbeat=settings.REALTIME_HEARTBEAT_SECONDS,
            lifetime=settings.REALTIME_STREAM_SECONDS,
        ),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
