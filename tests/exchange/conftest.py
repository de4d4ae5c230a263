import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from hotline.exchange import services, signing
from hotline.exchange.models import Subscription
from hotline.orgs.models import Membership, Role, Unit, UnitKind, User


@pytest.fixture(autouse=True)
def _no_settle(settings):
    # Tests write and read in one thread: no transaction can commit behind a later id.
    settings.HOTLINE_EXCHANGE_SETTLE_SECONDS = 0


@pytest.fixture
def system(province):
    """闽侯 sub-center of 福州, connected as a system with a dispatcher service account."""
    unit = Unit.objects.create(
        code="fz_sub",
        name="福州市便民服务分中心",
        kind=UnitKind.SUBCENTER,
        level="city",
        region=province.regions["350100"],
        parent=province.units["fz"],
        function="center",
    )
    user = User.objects.create(username="fz_sub_bot", full_name="分中心接口")
    Membership.objects.create(user=user, unit=unit, role=Role.DISPATCHER)
    return services.connect_system(code="fzsub", name="福州分中心", unit=unit, service_user=user)


def item(ref, **overrides):
    fields = {
        "external_id": ref,
        "appeal_type": "complaint",
        "title": "噪音扰民",
        "content": "鼓楼区某工地夜间施工噪音严重，影响休息。",
        "citizen_phone": "13800000002",
        "region": "350102",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def push(client, system):
    """POST a batch signed as `system` (or with the given headers)."""

    def _push(items, *, headers=None, secret=None, now=None):
        body = json.dumps({"tickets": items}).encode()
        head = headers or signing.headers(system.code, secret or system.secret, body, now=now)
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in head.items()}
        return client.post(
            "/api/v1/exchange/tickets", body, content_type="application/json", **extra
        )

    return _push


class Receiver:
    """A real local HTTP receiver that can be down (503) or up, recording what it got."""

    def __init__(self):
        self.up = False
        self.batches = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not receiver.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.batches.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def events(self):
        return [e for _, body in self.batches for e in json.loads(body)["events"]]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def subscription(system, receiver):
    return Subscription.objects.create(
        system=system, url=receiver.url, secret="hook-secret", max_attempts=3
    )


@pytest.fixture
def ctx(province, system):
    return SimpleNamespace(p=province, system=system)
