"""Dashboard JSON (/api/v1/dashboard/…) and page: figures of today, scope and permissions."""

import datetime as dt

import pytest
from django.utils import timezone

from hotline.analytics.models import EarlyWarning
from hotline.catalog.calendar import to_local
from hotline.screening.models import AlertKind, RiskAlert
from hotline.tickets.models import Status

from .conftest import make_ticket

PANELS = ["today", "top", "satisfaction", "warnings"]


@pytest.fixture
def live(province, categories):
    """Today: two phone tickets and one web ticket in 鼓楼区, one wechat ticket in 思明区;
    twenty days ago: a dispatched ticket now past its handling deadline."""
    p = province
    now = timezone.now()
    morning = max(now - dt.timedelta(minutes=30), to_local(now).replace(hour=0, minute=1))
    made = {}
    made["closed"] = make_ticket(p, morning, channel="phone", to=Status.CLOSED,
                                 category=categories.property)  # fmt: skip
    made["phone"] = make_ticket(p, morning, channel="phone", category=categories.social)
    made["web"] = make_ticket(p, morning, channel="web")
    made["xm"] = make_ticket(p, morning, channel="wechat", region="350203")
    made["late"] = make_ticket(p, now - dt.timedelta(days=20), channel="web", to=Status.DISPATCHED)
    RiskAlert.objects.create(ticket=made["phone"], kind=AlertKind.RED_DEMAND, unit=p.units["fz"],
                             role="dispatcher", message="扬言极端：请立即核实", created_at=now)  # fmt: skip
    RiskAlert.objects.create(ticket=made["xm"], kind=AlertKind.RED_DEMAND, unit=p.units["xm"],
                             role="dispatcher", message="厦门的风险工单", created_at=now)  # fmt: skip
    w = EarlyWarning.objects.create(
        kind="spike",
        level="red",
        title="鼓楼区城乡建设类诉求突增",
        region=p.regions["350102"],
        day=to_local(now).date(),
        fingerprint="test-spike",
        created_at=now,
        updated_at=now,
    )
    w.tickets.set([made["web"]])
    return made


def get(client, province, username, panel, region=""):
    client.force_login(province.users[username])
    return client.get(f"/api/v1/dashboard/{panel}" + (f"?region={region}" if region else ""))


def test_today_counts_by_hour_and_channel(client, province, live):
    d = get(client, province, "fz_analyst", "today").json()
    assert d["region"] == "350100"  # the analyst's own city, without asking
    by_channel = {c["key"]: sum(c["hours"]) for c in d["channels"]}
    assert by_channel == {"phone": 2, "web": 1}  # 思明区 is 厦门's
    hour = to_local(live["web"].created_at).hour
    assert {c["key"]: c["hours"][hour] for c in d["channels"]} == {"phone": 2, "web": 1}
    assert d["total"] == 3
    # Open: the phone one waiting for dispatch, the web one waiting for acceptance, the late
    # one (overdue); the closed one is not.
    assert (d["open"], d["overdue"]) == (3, 1)


def test_top_categories_and_regions(client, province, live):
    d = get(client, province, "prov_supervisor", "top", "350000").json()
    assert {r["label"]: r["count"] for r in d["categories"]} == {
        "城乡建设": 1,
        "社会保障": 1,
        "未分类": 2,
    }  # the 20-day-old ticket is outside the 7 days
    assert {r["label"]: r["count"] for r in d["regions"]} == {"福州市": 3, "厦门市": 1}


def test_satisfaction_trend(client, province, live):
    d = get(client, province, "fz_supervisor", "satisfaction").json()
    assert len(d["days"]) == 30
    assert d["days"][-1] == {"day": to_local(timezone.now()).date().isoformat(), "rated": 1,
                             "rate": 100.0}  # fmt: skip
    assert all(x["rated"] == 0 and x["rate"] is None for x in d["days"][:-1])


def test_warnings_are_scoped(client, province, live):
    fz = {t.number for k, t in live.items() if k != "xm"}
    d = get(client, province, "fz_analyst", "warnings").json()
    # Screening itself raised a repeat alert on the third identical demand of one phone.
    assert {a["kind"] for a in d["alerts"]} == {"红色风险诉求", "反复投诉未解决"}
    assert "扬言极端：请立即核实" in [a["message"] for a in d["alerts"]]
    assert {a["ticket"] for a in d["alerts"]} <= fz
    assert [(w["title"], w["level"]) for w in d["early"]] == [("鼓楼区城乡建设类诉求突增", "red")]
    x = get(client, province, "xm_dispatcher", "warnings").json()
    assert {a["ticket"] for a in x["alerts"]} == {live["xm"].number}
    assert "厦门的风险工单" in [a["message"] for a in x["alerts"]]
    assert x["early"] == []


@pytest.mark.parametrize("panel", PANELS)
def test_permissions(client, province, panel):
    assert client.get(f"/api/v1/dashboard/{panel}").status_code == 401
    r = get(client, province, "gl_housing_handler", panel)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = get(client, province, "fz_analyst", panel, "350200")
    assert r.status_code == 404 and r.json()["field"] == "region"
    assert get(client, province, "fz_analyst", panel, "350000").status_code == 404
    assert get(client, province, "fz_analyst", panel, "350102").status_code == 200
    assert get(client, province, "xm_agent", panel, "350203").status_code == 200


def test_dashboard_page(client, province):
    client.force_login(province.users["fz_analyst"])
    r = client.get("/reports/dashboard/")
    text = r.content.decode()
    assert r.status_code == 200
    assert "vendor/echarts/echarts.common.min.js" in text and 'data-region="350100"' in text
    assert client.get("/reports/dashboard/?region=350200").status_code == 404


def test_nav_links_for_analysts(client, province):
    client.force_login(province.users["fz_analyst"])
    text = client.get("/").content.decode()
    assert 'href="/reports/"' in text and 'href="/reports/dashboard/"' in text
