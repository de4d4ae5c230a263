"""A push service on localhost for the Web Push tests, and a device subscribed to it.

The Web Push protocol is plain HTTP: the sender POSTs the encrypted message to the
subscription's endpoint. This server keeps what it received; the device holds a real P-256
key pair and auth secret (as a browser makes them) and decrypts a message as the browser would
(RFC 8291, aes128gcm), so a test sees exactly what a phone would be handed.
"""

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.test import override_settings

from hotline.supervision import webpush


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class PushService:
    url: str
    received: list = field(default_factory=list)
    # path → the status the service answers there (201 otherwise).
    status: dict = field(default_factory=dict)

    def to(self, path: str) -> list:
        return [r for r in self.received if r.path == path]


def serve():
    """Start a push service on 127.0.0.1; yields it, stops it after."""
    service = PushService(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server's name
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            service.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(service.status.get(self.path, 201))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Device:
    """A browser's push subscription: its endpoint, key pair and auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def new(cls, service: PushService, name: str) -> "Device":
        return cls(
            f"{service.url}/push/{name}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
        )

    @property
    def path(self) -> str:
        return "/push/" + self.endpoint.rsplit("/", 1)[1]

    @property
    def p256dh(self) -> str:
        return b64(
            self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        )

    def subscription(self) -> dict:
        """What PushSubscription.toJSON() gives the page."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64(self.auth)},
        }

    def read(self, message: Received) -> dict:
        """Decrypt a message as the browser does; its JSON."""
        plain = http_ece.decrypt(
            message.body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def vapid_claims(message: Received, public_key: str) -> dict:
    """The VAPID token's claims, after checking its signature against `public_key` (RFC 8292)."""
    scheme, _, params = message.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key
    header, claims, signature = parts["t"].split(".")
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key))
    try:
        key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("the VAPID token's signature does not verify") from None
    return json.loads(unb64(claims))


PUBLIC, PRIVATE = webpush.generate_keys()
SUBJECT = "mailto:ops@12345.example"


def push_settings(services=None):
    """Push on, with this run's key pair (`services`: the push services allowed)."""
    extra = {"PUSH_SERVICES": services} if services else {}
    return override_settings(
        WEB_PUSH=True,
        VAPID_PUBLIC_KEY=PUBLIC,
        VAPID_PRIVATE_KEY=PRIVATE,
        VAPID_SUBJECT=SUBJECT,
        **extra,
    )
