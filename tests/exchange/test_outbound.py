import hmac
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from hotline.errors import Forbidden
from hotline.exchange import delivery, services, signing
from hotline.exchange.models import Delivery, DeliveryState, OutboxMessage
from hotline.orgs.services import issue_token
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .conftest import item


def _pairs(events):
    return [(e["ticket"], e["seq"]) for e in events]


def _expected():
    return [(m.payload["ticket"], m.payload["seq"]) for m in OutboxMessage.objects.order_by("id")]


# ---- pull feed ----------------------------------------------------------------------------


def _feed(client, key, after=0, limit=100):
    return client.get(
        "/api/v1/exchange/events",
        {"after": after, "limit": limit},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_the_feed_walks_every_event_once_in_order(client, province):
    ticket_at(province, Status.IN_PROGRESS)
    ticket_at(province, Status.DISPATCHED)
    _, key = issue_token(user=province.users["fz_dispatcher"], name="feed")

    seen, after = [], 0
    while page := _feed(client, key, after, limit=2).json()["events"]:
        seen += page
        after = page[-1]["id"]

    assert _pairs(seen) == _expected()
    assert [e["action"] for e in seen[:4]] == ["register", "accept", "dispatch", "acknowledge"]


def test_the_feed_shows_only_the_readers_scope(client, province):
    ticket_at(province, Status.REGISTERED)  # a 福州 ticket
    _, key = issue_token(user=province.users["xm_dispatcher"], name="feed")

    body = _feed(client, key).json()

    assert body["events"] == []
    assert body["next_after"] == OutboxMessage.objects.get().id


def test_a_system_reads_the_feed_with_its_signature(client, push, system):
    push([item("H1")])
    head = signing.headers(system.code, system.secret, b"")

    response = client.get(
        "/api/v1/exchange/events",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in head.items()},
    )

    assert response.status_code == 200
    assert [e["external_ref"] for e in response.json()["events"]] == ["fzsub:H1"]


def test_the_feed_needs_authentication(client, province):
    assert client.get("/api/v1/exchange/events").status_code == 401


# ---- webhooks -----------------------------------------------------------------------------


def test_a_receiver_that_is_down_gets_every_event_in_order_after_it_comes_back(
    province, subscription, receiver
):
    ticket_at(province, Status.IN_PROGRESS)
    ticket_at(province, Status.REPLIED)
    t0 = timezone.now()

    down = delivery.run_once(now=t0)
    receiver.up = True
    too_early = delivery.run_once(now=t0 + timedelta(seconds=5))
    back = delivery.run_once(now=t0 + timedelta(seconds=11))

    assert down["failed"] == len(_expected())
    assert too_early["delivered"] == 0  # still waiting for its backoff
    assert back["delivered"] == len(_expected())
    assert _pairs(receiver.events) == _expected()
    assert not Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()


def test_each_post_is_signed_with_the_subscription_secret(province, subscription, receiver):
    receiver.up = True
    ticket_at(province, Status.REGISTERED)

    delivery.run_once()

    head, body = receiver.batches[0]
    expected = signing.sign("hook-secret", head["X-Hotline-Timestamp"], body)
    assert hmac.compare_digest(head["X-Hotline-Signature"], expected)


def test_an_event_after_a_failed_one_of_the_same_ticket_waits_for_it(
    province, subscription, receiver
):
    t = ticket_at(province, Status.REGISTERED)
    t0 = timezone.now()
    delivery.run_once(now=t0)  # the register event fails and waits for its retry
    receiver.up = True
    ticket_at(province, Status.REGISTERED, title="另一张工单")
    from hotline.tickets import lifecycle

    lifecycle.accept(ticket=t, by=province.users["fz_agent"])

    delivery.run_once(now=t0 + timedelta(seconds=1))
    other_only = list(receiver.events)
    delivery.run_once(now=t0 + timedelta(seconds=11))

    assert [(e["ticket"], e["action"]) for e in other_only] == [
        (other_only[0]["ticket"], "register")
    ]
    assert other_only[0]["ticket"] != t.number
    mine = [e["action"] for e in receiver.events if e["ticket"] == t.number]
    assert mine == ["register", "accept"]


def test_after_max_attempts_a_delivery_is_dead_and_blocks_its_ticket_until_replayed(
    province, subscription, receiver
):
    t = ticket_at(province, Status.REGISTERED)
    t0 = timezone.now()
    for minutes in range(3):
        delivery.run_once(now=t0 + timedelta(minutes=minutes))
    assert Delivery.objects.get().state == DeliveryState.DEAD
    from hotline.tickets import lifecycle

    lifecycle.accept(ticket=t, by=province.users["fz_agent"])
    receiver.up = True

    blocked = delivery.run_once(now=t0 + timedelta(hours=1))
    with pytest.raises(Forbidden):
        services.replay(subscription=subscription, by=province.users["fz_agent"])
    replayed = services.replay(subscription=subscription, by=province.users["admin"])
    delivery.run_once(now=t0 + timedelta(hours=1))

    assert blocked["delivered"] == 0
    assert replayed == 1
    assert [e["action"] for e in receiver.events] == ["register", "accept"]


def test_a_worker_killed_after_posting_before_recording_loses_nothing(
    province, subscription, receiver, monkeypatch
):
    receiver.up = True
    ticket_at(province, Status.DISPATCHED)

    def killed(ids, now):
        raise SystemExit("killed")

    with monkeypatch.context() as m:
        m.setattr(delivery, "_mark_delivered", killed)
        with pytest.raises(SystemExit):
            delivery.run_once()
    delivery.run_once()

    # At least once: the batch the dead worker sent arrives again, whole and in order.
    assert len(receiver.batches) == 2
    assert _pairs(json.loads(receiver.batches[1][1])["events"]) == _expected()
    assert not Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()


def test_events_outside_the_systems_scope_are_not_sent(province, subscription, receiver):
    receiver.up = True
    from hotline.tickets import lifecycle
    from tests.tickets.factory import demand

    lifecycle.register(by=province.users["xm_agent"], data=demand(region="350203"))  # 厦门's

    totals = delivery.run_once()

    assert totals["queued"] == 0
    assert receiver.events == []


def test_the_deliver_command_runs_one_round(province, subscription, receiver, capsys):
    receiver.up = True
    ticket_at(province, Status.PENDING_DISPATCH)

    call_command("exchange", "deliver", "--once")

    assert "delivered 2" in capsys.readouterr().out
    assert _pairs(receiver.events) == _expected()
