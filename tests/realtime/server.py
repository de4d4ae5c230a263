"""A real ASGI server (uvicorn, the product's `hotline.asgi`) in a thread, and an SSE reader.

pytest-django's live server is WSGI: it would read a stream to its end before sending a byte.
The live pages are tested against the same ASGI application `hotline serve` runs.
"""

import contextlib
import json
import threading

import httpx
import uvicorn
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections
from django.test import Client

from hotline.asgi import application


@contextlib.contextmanager
def asgi_server():
    """Serve the product on a free port; yields its base URL. Static files come from the
    apps and node_modules (as pytest-django's live server does), not from collectstatic."""
    # Every request has a thread of its own under ASGI: a persistent connection per thread
    # would outlive the test and keep its database from being dropped.
    db = connections.settings["default"]
    kept = db.get("CONN_MAX_AGE")
    db["CONN_MAX_AGE"] = 0
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            thread.join(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        db["CONN_MAX_AGE"] = kept


def session_cookies(user) -> dict:
    """The session cookie of `user`, made by Django's test client (no password round trip)."""
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


class EventStream:
    """An open text/event-stream response, read one event at a time."""

    def __init__(self, response: httpx.Response):
        self.response = response
        self.lines = response.iter_lines()
        self.preamble = self._block()  # "retry:" and ": connected": the subscription is live

    def _block(self) -> list[str]:
        block = []
        for line in self.lines:
            if line == "":
                if block:
                    return block
                continue
            block.append(line)
        raise EOFError("the stream ended")

    def next_event(self) -> dict:
        """The next event (heartbeat comments skipped): {"id": int, "topic": …, "data": …}."""
        while True:
            fields = {}
            for line in self._block():
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            if "data" in fields:
                body = json.loads(fields["data"])
                return {"id": int(fields["id"]), "topic": body["topic"], "data": body["data"]}


@contextlib.contextmanager
def open_stream(base: str, cookies: dict, *, params=None, headers=None):
    """GET /realtime/stream/ and keep it open; yields the EventStream (or raises with the
    status and body when the server refused it)."""
    with (
        httpx.Client(base_url=base, cookies=cookies, timeout=httpx.Timeout(30.0)) as client,
        client.stream("GET", "/realtime/stream/", params=params, headers=headers) as response,
    ):
        if response.status_code != 200:
            response.read()
            raise Refused(response.status_code, response.json())
        yield EventStream(response)


class Refused(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(status, body)
        self.status = status
        self.body = body
