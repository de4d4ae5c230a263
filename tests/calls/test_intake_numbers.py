"""The intake locks calls without decrypting their numbers (events._lock_calls_pg) and decrypts
them only for a call whose screen pop or 回拨 uses them: the numbers still arrive where they
are needed, whichever request brought them."""

import pytest
from django.db import connection

from hotline import crypto
from hotline.calls import agents
from hotline.calls.models import Call, CallbackItem
from hotline.realtime import broker

from .conftest import event, offered


def test_a_pop_in_a_later_request_carries_the_numbers_stored_before(
    post, province, phone, monkeypatch, django_capture_on_commit_callbacks
):
    agent = province.users["fz_agent"]
    agents.sign_in(user=agent, seat=phone.seats["1001"])
    post([offered("p", "p1", 0, caller="059187654321")])
    published, hub = [], broker()
    real = hub.publish
    monkeypatch.setattr(hub, "publish", lambda t, d: published.append((t, d)) or real(t, d))

    with django_capture_on_commit_callbacks(execute=True):
        post([event("p", "p2", "ringing", 4, agent="1001")])
    with django_capture_on_commit_callbacks(execute=True):
        post([event("p", "p3", "answered", 6, agent="1001")])

    pops = [d for t, d in published if t == f"agent:{agent.pk}" and d["kind"] == "screen_pop"]
    assert [(p["event"], p["number"], p["called"]) for p in pops] == [
        ("ringing", "059187654321", "12345"),
        ("answered", "059187654321", "12345"),
    ]


@pytest.mark.parametrize("number_first", [True, False], ids=["offer-first", "abandon-first"])
def test_a_callback_gets_the_number_whichever_request_brings_it(post, number_first):
    requests = [[offered("c", "c1", 0, caller="13900002222")], [event("c", "c2", "abandoned", 40)]]
    for events in requests if number_first else reversed(requests):
        post(events)

    item = CallbackItem.objects.get()
    assert (item.number, item.reason) == ("13900002222", "abandoned")
    assert Call.objects.get().caller == "13900002222"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite locks whole calls through the ORM"
)
def test_events_that_pop_nothing_decrypt_no_number(post, province, phone, monkeypatch):
    agent = province.users["fz_agent"]
    agents.sign_in(user=agent, seat=phone.seats["1001"])
    post(
        [
            offered("h", "h1", 0),
            event("h", "h2", "ringing", 4, agent="1001"),
            event("h", "h3", "answered", 6, agent="1001"),
        ]
    )
    decrypted = []
    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda *a, **k: decrypted.append(a) or real(*a, **k))

    response = post([event("h", "h4", "held", 20), event("h", "h5", "resumed", 30)])

    assert response.json()["accepted"] == 2
    assert decrypted == []
    assert Call.objects.get().hold_seconds == 10
