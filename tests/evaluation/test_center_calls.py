"""The centers' call figures on the scorecard page and API, on a hand-computed month of calls
(tests/calls/month.py, where the figures are worked out by hand)."""

import pytest

from hotline.evaluation import call_figures
from hotline.orgs.models import Unit
from tests.calls.month import load_october


@pytest.fixture
def october_calls(province, settings):
    report = load_october(province, settings)
    assert (report.errors, report.calls) == ([], 7)
    return province


def test_each_center_has_its_hand_computed_figures(october_calls):
    units = october_calls.units
    under_fz = Unit.objects.filter(path__startswith=units["fz"].path)
    rows = call_figures.compute(under_fz, "2026-10")
    got = {r.unit.code: {k: r.figures[k] for k, _, _ in call_figures.COLUMNS} for r in rows}
    assert got == {
        "fz": {
            "offered": 4,
            "answered": 2,
            "abandoned": 1,
            "short_abandons": 1,
            "answer_rate": 0.6667,  # 2 ÷ (4 − 1)
            "service_level": 0.3333,  # 1 within 15 s ÷ (2 + 1)
            "asa_seconds": 15.0,  # (10 + 20) ÷ 2
            "aht_seconds": 75.0,  # (100 + 50) ÷ 2
        },
        "gl": {
            "offered": 2,
            "answered": 1,
            "abandoned": 1,
            "short_abandons": 0,
            "answer_rate": 0.5,
            "service_level": 0.5,
            "asa_seconds": 5.0,
            "aht_seconds": 60.0,
        },
        "tj": {
            "offered": 0,
            "answered": 0,
            "abandoned": 0,
            "short_abandons": 0,
            "answer_rate": None,
            "service_level": None,
            "asa_seconds": None,
            "aht_seconds": None,
        },
    }


def test_the_scorecard_page_shows_the_centers_line(client, october_calls):
    client.force_login(october_calls.users["fz_supervisor"])
    page = client.get("/evaluation/scorecards/?period=2026-10").content.decode()
    assert "中心话务指标" in page
    assert (
        "<tr><td>福州市12345热线中心</td><td>4</td><td>2</td><td>1</td><td>1</td>"
        "<td>66.67%</td><td>33.33%</td><td>15.0</td><td>75.0</td></tr>"
    ) in page
    assert (
        "<tr><td>台江区12345热线中心</td><td>0</td><td>0</td><td>0</td><td>0</td><td>—</td>" in page
    )
    assert "厦门市12345热线中心" not in page
    assert "15 秒服务水平" in page
    assert "短时放弃阈值（5 秒）" in page


def test_the_api_gives_the_centers_in_scope_only(client, october_calls):
    client.force_login(october_calls.users["fz_supervisor"])
    rows = client.get("/api/v1/evaluation/center-calls?period=2026-10").json()
    assert [r["unit"] for r in rows] == ["fz", "gl", "tj"]
    assert rows[1] == {
        "unit": "gl",
        "unit_name": "鼓楼区12345热线中心",
        "offered": 2,
        "answered": 1,
        "abandoned": 1,
        "short_abandons": 0,
        "answer_rate": 0.5,
        "service_level": 0.5,
        "service_level_seconds": 15,
        "asa_seconds": 5.0,
        "aht_seconds": 60.0,
    }
    client.force_login(october_calls.users["xm_dispatcher"])
    assert client.get("/api/v1/evaluation/center-calls?period=2026-10").status_code == 403
    client.force_login(october_calls.users["fz_supervisor"])
    bad = client.get("/api/v1/evaluation/center-calls?period=2026-13")
    assert (bad.status_code, bad.json()["field"]) == (400, "period")
