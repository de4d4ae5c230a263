"""Idempotency and order: the same events, sent twice or shuffled, give the same Call row."""

import random

import pytest
from django.forms.models import model_to_dict

from hotline.calls.models import Call, CallEvent

from .conftest import event, offered

IGNORED = {"id", "updated_at", "tickets"}


def full_stream():
    """Three calls: answered with a hold and a transfer, abandoned, voicemail."""
    return [
        offered("a", "a1", 0, ivr=["1", "3"], trunk="trunk-1"),
        event("a", "a2", "ringing", 8, agent="1001"),
        event("a", "a3", "answered", 12, agent="1001"),
        event("a", "a4", "held", 40),
        event("a", "a5", "resumed", 55),
        event("a", "a6", "transferred", 90, transfer_to={"kind": "center", "target": "xm"}),
        event("a", "a7", "ended", 92, cause="transfer", recording="rec/a.wav"),
        offered("b", "b1", 3, caller="13900000002"),
        event("b", "b2", "abandoned", 33, wait_seconds=30),
        offered("c", "c1", 5, caller="13900000003"),
        event("c", "c2", "voicemail", 50, recording="vm/c.wav"),
        event("c", "c3", "ended", 80),
    ]


def rows():
    return {
        c.platform_call_id: {k: v for k, v in model_to_dict(c).items() if k not in IGNORED}
        for c in Call.objects.all()
    }


@pytest.fixture
def reference(post):
    """The rows the stream gives in its natural order, one event per request."""
    for e in full_stream():
        assert post([e]).status_code == 200
    result = rows()
    Call.objects.all().delete()
    return result


def test_the_natural_order_derives_the_expected_calls(reference):
    a, b, c = reference["a"], reference["b"], reference["c"]
    assert (a["outcome"], a["state"], a["wait_seconds"], a["hold_seconds"]) == (
        "transferred",
        "finished",
        12,
        15,
    )
    assert a["talk_seconds"] == 92 - 12 - 15
    assert (a["transfer_kind"], a["transfer_target"], a["recording"]) == (
        "center",
        "xm",
        "rec/a.wav",
    )
    assert a["ivr"] == ["1", "3"]
    assert (b["outcome"], b["wait_seconds"], b["answered_at"]) == ("abandoned", 30, None)
    assert (c["outcome"], c["recording"]) == ("voicemail", "vm/c.wav")


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("batch", [1, 3, 12], ids=["one-by-one", "threes", "all-at-once"])
def test_any_order_and_batching_converges_to_the_same_rows(post, reference, seed, batch):
    stream = full_stream()
    random.Random(seed).shuffle(stream)

    for i in range(0, len(stream), batch):
        assert post(stream[i : i + batch]).status_code == 200

    assert rows() == reference


def test_sending_the_stream_twice_stores_each_event_once(post, reference):
    stream = full_stream()
    first = post(stream).json()
    again = post(list(reversed(stream))).json()

    assert (first["accepted"], first["duplicates"]) == (12, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 12)
    assert CallEvent.objects.count() == 12
    assert rows() == reference


def test_the_same_event_twice_in_one_batch_counts_once(post):
    e = offered("d", "d1", 0)

    body = post([e, e]).json()

    assert (body["accepted"], body["duplicates"]) == (1, 1)
    assert CallEvent.objects.filter(event_id="d1").count() == 1


def test_an_event_for_an_unknown_seat_is_kept_and_marked(post):
    response = post([offered("e", "e1", 0), event("e", "e2", "ringing", 4, agent="7777")])

    body = response.json()
    assert body["accepted"] == 2
    assert body["errors"] == [
        {
            "event_id": "e2",
            "code": "unknown_agent",
            "message_zh": "座席号不存在",
            "message_en": "unknown agent seat",
        }
    ]
    kept = CallEvent.objects.get(event_id="e2")
    assert kept.error == "unknown_agent"
    call = Call.objects.get(platform_call_id="e")
    assert (call.is_error, call.error_reason, call.seat_id) == (True, "座席号 7777 不存在", None)


def test_an_unknown_queue_is_kept_and_marked(post):
    body = post([offered("f", "f1", 0, queue="nosuch")]).json()

    assert [e["code"] for e in body["errors"]] == ["unknown_queue"]
    call = Call.objects.get(platform_call_id="f")
    assert (call.is_error, call.queue_id) == (True, None)


def test_a_seat_of_another_citys_center_is_unknown_to_this_platform(post):
    body = post([offered("g", "g1", 0), event("g", "g2", "ringing", 2, agent="9001")]).json()

    assert [e["code"] for e in body["errors"]] == ["unknown_agent"]


def test_a_county_seat_puts_the_call_in_the_county_center(post, phone, province):
    post([offered("h", "h1", 0, queue=None), event("h", "h2", "answered", 5, agent="2001")])

    assert Call.objects.get(platform_call_id="h").center == province.units["gl"]


@pytest.mark.parametrize(
    ("wait", "outcome"),
    [(3, "short_abandon"), (5, "short_abandon"), (6, "abandoned")],
    ids=["3s", "5s-at-threshold", "6s"],
)
def test_short_abandons_are_told_apart_by_the_threshold(post, wait, outcome):
    post([offered("s", "s1", 0), event("s", "s2", "abandoned", wait)])

    assert Call.objects.get(platform_call_id="s").outcome == outcome
