"""Call figures on a hand-computed log (T = 15 s, short abandon ≤ 5 s)."""

import datetime as dt

import pytest

from hotline.calls import figures
from hotline.calls.models import Call

from .conftest import T0, event, offered


@pytest.fixture
def log(post, settings):
    settings.CALLS_SERVICE_LEVEL_SECONDS = 15
    settings.CALLS_SHORT_ABANDON_SECONDS = 5
    post(
        [
            # 1: answered after 10 s, 60 s of talk; 20 s of after-call work (below)
            offered("1", "1a", 0),
            event("1", "1b", "answered", 10, agent="1001"),
            event("1", "1c", "ended", 70),
            # 2: answered after 20 s, held 10 s, 100 s of talk
            offered("2", "2a", 0),
            event("2", "2b", "answered", 20, agent="1001"),
            event("2", "2c", "held", 50),
            event("2", "2d", "resumed", 60),
            event("2", "2e", "ended", 130),
            # 3: abandoned after 30 s; 4: short abandon after 3 s; 5: voicemail after 8 s
            offered("3", "3a", 0),
            event("3", "3b", "abandoned", 30),
            offered("4", "4a", 0),
            event("4", "4b", "abandoned", 3),
            offered("5", "5a", 0),
            event("5", "5b", "voicemail", 8),
            # 6: an outbound call, not part of the inbound figures
            event("6", "6a", "outbound", 0, direction="outbound", caller="1001", called="139"),
            event("6", "6b", "answered", 5, agent="1001"),
            event("6", "6c", "ended", 50),
        ]
    )
    Call.objects.filter(platform_call_id="1").update(acw_seconds=20)
    return Call.objects.all()


def test_the_figures_of_the_log_are_the_hand_computed_ones(log):
    total = figures.totals(log)

    assert total == {
        "offered": 5,
        "answered": 2,
        "short_abandons": 1,
        "abandoned": 1,
        "voicemail": 1,
        "answered_within_t": 1,
        "answer_rate": 0.5,  # 2 ÷ (5 − 1)
        "service_level": 0.3333,  # 1 ÷ (2 + 1)
        "asa_seconds": 15.0,  # (10 + 20) ÷ 2
        "aht_seconds": 95.0,  # ((60 + 0 + 20) + (100 + 10 + 0)) ÷ 2
        "acw_seconds": 10.0,  # (20 + 0) ÷ 2
    }


def test_the_figures_by_hour_and_center_group_the_same_calls(log, province):
    by_hour = figures.aggregate(log, by=["hour"])
    by_center = figures.aggregate(log, by=["center"])

    assert [(r["hour"], r["offered"], r["answered"]) for r in by_hour] == [(17, 5, 2)]
    assert [(r["center"], r["offered"]) for r in by_center] == [(province.units["fz"].pk, 5)]


def test_no_calls_give_zeros_and_no_rates():
    total = figures.totals(Call.objects.none())

    assert (
        total["offered"],
        total["answer_rate"],
        total["service_level"],
        total["asa_seconds"],
    ) == (
        0,
        None,
        None,
        None,
    )


def test_occupancy_is_handling_over_handling_and_ready():
    def t(s):
        return T0 + dt.timedelta(seconds=s)

    changes = [
        (7, "ready", t(0)),
        (7, "on_call", t(100)),
        (7, "after_call", t(160)),
        (7, "ready", t(180)),
        (7, "break", t(300)),
    ]

    seconds = figures.state_seconds(changes, t(0), t(400))

    assert dict(seconds[7]) == {"ready": 220.0, "on_call": 60.0, "after_call": 20.0, "break": 100.0}
    busy = seconds[7]["on_call"] + seconds[7]["after_call"]
    assert round(busy / (busy + seconds[7]["ready"]), 4) == 0.2667


def test_the_figures_endpoint_serves_the_scope(client, province, log):
    client.force_login(province.users["fz_dispatcher"])
    mine = client.get(
        "/api/v1/calls/figures", {"by": "day", "day_from": "2026-10-12", "day_to": "2026-10-12"}
    ).json()
    client.force_login(province.users["xm_dispatcher"])
    other = client.get(
        "/api/v1/calls/figures", {"by": "day", "day_from": "2026-10-12", "day_to": "2026-10-12"}
    ).json()

    assert [(r["day"], r["offered"], r["answer_rate"]) for r in mine["rows"]] == [
        ("2026-10-12", 5, 0.5)
    ]
    assert (other["rows"], other["total"]["offered"]) == ([], 0)
