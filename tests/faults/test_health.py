"""`/api/v1/health` on the suite's own database: what anonymous and signed-in callers see,
worker heartbeats, the outbox backlog, the replica entry, and the 503 of a broken connection.
The real outage is tests/faults/test_outage.py."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from hotline import health
from hotline.exchange import services as exchange
from hotline.exchange.models import Delivery, DeliveryState, OutboxMessage, Subscription
from hotline.ops.models import WorkerHeartbeat
from hotline.ops.services import Heartbeat
from hotline.orgs.models import Membership, Role, User
from hotline.orgs.services import issue_token
from tests.tickets.factory import ticket_at

URL = "/api/v1/health"


def _beat(kind: str, age: timedelta) -> None:
    Heartbeat(kind=kind).beat()
    WorkerHeartbeat.objects.filter(kind=kind).update(seen_at=timezone.now() - age)


@pytest.mark.django_db
def test_anonymous_callers_get_the_status_alone(client):
    # given: a worker that beats
    Heartbeat(kind="worker").beat()

    # when
    response = client.get(URL)

    # then
    assert response.status_code == 200
    assert set(response.json()) == {"status", "checked_at"}
    assert response.json()["status"] == "ok"


def test_a_token_holder_gets_the_details(province):
    # given: a live worker, a dead exchange process, a subscription with a backlog
    _, key = issue_token(user=province.users["fz_agent"], name="监控")
    Heartbeat(kind="worker").beat()
    _beat("exchange", timedelta(minutes=5))
    bot = User.objects.create(username="bot", full_name="接口")
    Membership.objects.create(user=bot, unit=province.units["fz"], role=Role.DISPATCHER)
    system = exchange.connect_system(code="s", name="系统", unit=province.units["fz"],
                                     service_user=bot)  # fmt: skip
    sub = Subscription.objects.create(system=system, url="http://127.0.0.1:9/h", secret="k")
    t = ticket_at(province, "pending_dispatch")  # register + accept: two outbox rows
    first = OutboxMessage.objects.filter(ticket=t).order_by("id").first()
    OutboxMessage.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    Delivery.objects.create(subscription=sub, message=first, ticket_id=t.pk,
                            next_attempt_at=timezone.now(), state=DeliveryState.PENDING)  # fmt: skip
    Subscription.objects.filter(pk=sub.pk).update(cursor=first.pk)

    # when
    body = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {key}").json()

    # then: degraded, since the exchange has subscribers and no live process
    assert body["status"] == "degraded"
    assert body["database"]["up"] is True
    assert body["database"]["latency_ms"] >= 0
    assert body["replica"] is None
    assert body["workers"]["worker"]["alive"] == 1
    assert body["workers"]["exchange"]["alive"] == 0
    assert body["workers"]["exchange"]["last_seen_seconds"] >= 300
    outbox = body["outbox"]
    assert (outbox["subscriptions"], outbox["unqueued"], outbox["pending"], outbox["dead"]) == (
        1, 1, 1, 0,
    )  # fmt: skip
    assert outbox["oldest_pending_seconds"] >= 600


def test_no_live_worker_is_degraded_and_a_signed_in_user_sees_why(client, province):
    # given: the only worker stopped beating a minute ago
    _beat("worker", timedelta(minutes=1))
    client.force_login(province.users["fz_supervisor"])

    # when
    response = client.get(URL)

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["workers"]["worker"]["alive"] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="replica lag is PostgreSQL's")
def test_a_replica_alias_reports_its_state(settings, province):
    # given: the replica alias names the suite's own database (a primary, not a replica)
    settings.HOTLINE_REPLICA_ALIAS = "default"
    Heartbeat(kind="worker").beat()

    # when
    code, body = health.report(detail=True)

    # then: reported, and degraded: a primary configured as the replica is a mistake
    assert code == 200
    assert body["status"] == "degraded"
    assert body["replica"] == {
        "alias": "default", "up": True, "lag_seconds": None, "error": "not_a_replica",
    }  # fmt: skip


@pytest.mark.django_db
def test_a_view_that_meets_a_lost_connection_answers_503(rf):
    # given: a page request whose view meets a database that went away
    request = rf.get("/supervision/")

    # when: Django's handler500 is called while the error is being handled
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = health.server_error(request)

    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "系统暂时不可用" in response.content.decode()


@pytest.mark.django_db
def test_any_other_error_stays_a_500(rf):
    try:
        raise ValueError("a bug")
    except ValueError:
        response = health.server_error(rf.get("/"))
    assert response.status_code == 500
