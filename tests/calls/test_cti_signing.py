"""The CTI endpoint's door: signed, fresh, not replayed, well formed — or refused, counted,
and nothing else changed."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from hotline.calls import cti
from hotline.calls import events as intake
from hotline.calls.cti import UNKNOWN_KEY
from hotline.calls.models import Call, CallEvent, CallPlatform, RejectedRequest, SeenSignature

from .conftest import answered_call, offered, sign_headers


def rejected():
    return {(r.platform_code, r.reason): r.count for r in RejectedRequest.objects.all()}


def test_a_signed_batch_is_accepted_and_makes_the_call(post, phone):
    response = post(answered_call("c1"))

    assert response.status_code == 200
    assert response.json() == {"accepted": 4, "duplicates": 0, "errors": []}
    call = Call.objects.get(platform=phone.platform, platform_call_id="c1")
    assert (call.outcome, call.state, call.wait_seconds, call.talk_seconds) == (
        "answered",
        "finished",
        10,
        60,
    )
    assert rejected() == {}


def test_a_single_event_without_the_batch_wrapper_is_accepted(post):
    response = post(offered("c2", "c2-1", 0))

    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert Call.objects.get(platform_call_id="c2").state == "queued"


def _unsigned(phone, body):
    return {"HTTP_X_HOTLINE_PLATFORM": phone.platform.code}


def _stale(phone, body):
    return sign_headers(phone.platform.code, phone.secret, body, now=time.time() - 301)


def _bad_signature(phone, body):
    return sign_headers(phone.platform.code, "not-the-secret", body)


def _unknown_platform(phone, body):
    return sign_headers("nosuch", phone.secret, body)


@pytest.mark.parametrize(
    ("make_headers", "reason", "code"),
    [
        pytest.param(_unsigned, "unsigned", "fzcti", id="unsigned"),
        pytest.param(_stale, "stale", "fzcti", id="stale"),
        pytest.param(_bad_signature, "bad_signature", "fzcti", id="bad-signature"),
        pytest.param(_unknown_platform, "unknown_platform", UNKNOWN_KEY, id="unknown-platform"),
    ],
)
def test_a_refused_request_is_401_changes_nothing_and_is_counted(
    post, phone, make_headers, reason, code
):
    body = json.dumps({"events": answered_call("c3")}).encode()

    response = post(None, body=body, headers=make_headers(phone, body))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert set(response.json()) == {"code", "field", "message_zh", "message_en"}
    assert Call.objects.count() == 0
    assert CallEvent.objects.count() == 0
    assert rejected() == {(code, reason): 1}


def test_a_replayed_request_is_refused_and_counted(post, phone):
    body = json.dumps({"events": answered_call("c4")}).encode()
    headers = sign_headers(phone.platform.code, phone.secret, body)
    assert post(None, body=body, headers=headers).status_code == 200
    assert phone.platform.code in cti._platforms  # the replay meets the worker's kept copy

    again = post(None, body=body, headers=headers)

    assert again.status_code == 401
    assert again.json()["message_en"].startswith("replayed")
    assert CallEvent.objects.count() == 4
    assert rejected() == {("fzcti", "replayed"): 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(b"{not json", None, id="not-json"),
        pytest.param(json.dumps({"events": []}).encode(), None, id="empty-batch"),
        pytest.param(
            json.dumps(
                {"event_id": "e", "call_id": "c", "type": "ringing", "at": "2026-10-12T09:00:00Z"}
            ).encode(),
            None,
            id="ringing-without-agent",
        ),
        pytest.param(
            json.dumps(
                {"event_id": "e", "call_id": "c", "type": "exploded", "at": "2026-10-12T09:00:00Z"}
            ).encode(),
            "type",
            id="unknown-type",
        ),
        pytest.param(
            json.dumps(
                {"event_id": "e", "call_id": "c", "type": "ended", "at": "2026-10-12 09:00"}
            ).encode(),
            "at",
            id="time-without-zone",
        ),
    ],
)
def test_a_malformed_body_is_422_changes_nothing_and_is_counted(post, phone, body, field):
    good = answered_call("c5")[0]
    assert post([good]).status_code == 200
    before = CallEvent.objects.count()

    response = post(None, body=body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["field"] == field
    assert CallEvent.objects.count() == before
    assert rejected() == {("fzcti", "malformed"): 1}


def test_one_bad_event_refuses_the_whole_batch(post):
    events = answered_call("c6")
    del events[2]["agent"]

    response = post(events)

    assert response.status_code == 422
    assert response.json()["field"] == "2"
    assert Call.objects.count() == 0


def test_a_batch_over_the_limit_is_refused(post):
    events = [offered(f"c{i}", f"e{i}", 0) for i in range(1001)]

    response = post(events)

    assert response.status_code == 422
    assert Call.objects.count() == 0


def test_an_inactive_platform_is_refused(post, phone):
    phone.platform.is_active = False
    phone.platform.save()

    response = post(answered_call("c7"))

    assert response.status_code == 401
    assert rejected() == {("fzcti", "unknown_platform"): 1}


def test_invented_platform_codes_share_one_counter(post, phone):
    # given requests naming many platforms that do not exist, and one with no code at all
    body = json.dumps({"events": answered_call("c8")}).encode()
    for code in ("nosuch-1", "nosuch-2", "x" * 200):
        assert (
            post(None, body=body, headers=sign_headers(code, phone.secret, body)).status_code == 401
        )
    post(None, body=body, headers={})
    # then one row per reason, however many codes were invented
    assert rejected() == {(UNKNOWN_KEY, "unknown_platform"): 3, (UNKNOWN_KEY, "unsigned"): 1}


def test_a_bad_element_of_a_batch_is_named_by_its_index_and_field(post):
    events = answered_call("c9")
    events[3]["at"] = "2026-10-12 09:00"  # no zone

    response = post(events)

    assert response.status_code == 422
    assert response.json()["field"] == "3.at"
    assert "3.at" in response.json()["message_zh"] and "3.at" in response.json()["message_en"]
    assert (Call.objects.count(), CallEvent.objects.count()) == (0, 0)


def test_a_batch_replayed_after_a_refusal_is_still_refused_and_old_signatures_go(
    post, phone, monkeypatch
):
    # given an accepted batch and its exact replay, refused
    body = json.dumps({"events": answered_call("c10")}).encode()
    headers = sign_headers(phone.platform.code, phone.secret, body)
    assert post(None, body=body, headers=headers).status_code == 200
    assert post(None, body=body, headers=headers).status_code == 401
    # when the replay comes a third time, its refusal changed nothing: still refused
    assert post(None, body=body, headers=headers).status_code == 401
    assert rejected() == {("fzcti", "replayed"): 2}
    assert SeenSignature.objects.count() == 1
    # then a signature older than the freshness window is purged by a later request
    SeenSignature.objects.update(at=timezone.now() - dt.timedelta(hours=1))
    monkeypatch.setattr(intake, "PURGE_EVERY_SECONDS", 0)
    assert post(answered_call("c11")).status_code == 200
    assert SeenSignature.objects.count() == 1
    assert CallEvent.objects.count() == 8


# Each worker keeps its platforms (cti._platforms). Another worker's admin changes the row
# behind that copy: `.update()` here, so the copy of this process is not told.


def test_a_platform_disabled_behind_the_kept_copy_is_refused_at_the_next_request(post, phone):
    # given a worker that has the platform in hand from an accepted request
    assert post(answered_call("k1")).status_code == 200
    assert phone.platform.code in cti._platforms
    # when the platform is disabled elsewhere
    CallPlatform.objects.filter(pk=phone.platform.pk).update(is_active=False)
    response = post(answered_call("k2"))
    # then the next request is refused as from an unknown platform, and nothing is stored
    assert response.status_code == 401
    assert rejected() == {("fzcti", "unknown_platform"): 1}
    assert not Call.objects.filter(platform_call_id="k2").exists()
    assert SeenSignature.objects.count() == 1
    assert phone.platform.code not in cti._platforms


def test_a_secret_rotated_behind_the_kept_copy_refuses_the_old_and_takes_the_new(post, phone):
    # given a worker that has the platform (and its secret) in hand
    assert post(answered_call("k3")).status_code == 200
    # when the secret is rotated elsewhere
    CallPlatform.objects.filter(pk=phone.platform.pk).update(secret="the-new-secret")
    old = post(answered_call("k4"))
    new = post(answered_call("k5"), secret="the-new-secret")
    # then a request signed with the old secret is refused, one with the new accepted
    assert (old.status_code, new.status_code) == (401, 200)
    assert rejected() == {("fzcti", "bad_signature"): 1}
    assert set(Call.objects.values_list("platform_call_id", flat=True)) == {"k3", "k5"}
