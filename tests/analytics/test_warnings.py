"""The detectors on tickets registered through the real lifecycle; idempotence; scope."""

import datetime as dt

import pytest
from scipy.stats import binom

from hotline.analytics.models import EarlyWarning, WarningKind
from hotline.analytics.warnings import detect, recent_warnings
from hotline.tickets import lifecycle
from tests.tickets.factory import demand

from .conftest import OTHER_PROBLEMS, at


def test_detect_finds_the_spike_the_concentration_and_the_emerging_topic(scene, spike_day):
    new = detect()

    by_kind = {}
    for w in EarlyWarning.objects.all():
        by_kind.setdefault(w.kind, []).append(w)
    assert new == EarlyWarning.objects.count()
    (spike,) = by_kind[WarningKind.SPIKE]
    assert spike.region.code == "350102"
    assert spike.category.name == "城乡建设"
    assert spike.day == spike_day.date()
    assert spike.evidence["count"] == 12
    assert spike.evidence["baseline_weeks"] == [2] * 8
    assert spike.evidence["expected"] == 2.0
    # 12 today against 16 over eight weeks: Binomial(28, 1/9) ≥ 12 under "same rate".
    assert spike.evidence["p_value"] == pytest.approx(binom.sf(11, 28, 1 / 9))
    assert spike.level == "red"
    assert sorted(spike.tickets.values_list("id", flat=True)) == sorted(t.pk for t in scene)
    (conc,) = by_kind[WarningKind.CONCENTRATION]
    assert conc.region.code == "350102"
    assert (conc.evidence["region_count"], conc.evidence["category_total"]) == (12, 12)
    assert conc.evidence["usual_share"] == 0.5
    (emerging,) = by_kind[WarningKind.EMERGING]
    assert emerging.tickets.count() == 12
    assert "阳光花园" in emerging.title
    assert emerging.evidence["prior_count"] == 0


def test_detect_again_adds_nothing(scene):
    first = detect()
    ids = sorted(EarlyWarning.objects.values_list("id", "fingerprint"))

    again = detect()

    assert first >= 3
    assert again == 0
    assert sorted(EarlyWarning.objects.values_list("id", "fingerprint")) == ids


def test_quiet_weeks_raise_nothing(province, category, spike_day):
    agent = province.users["fz_agent"]
    for week in range(0, 9):
        for k in range(2):
            title = f"{OTHER_PROBLEMS[(week * 2 + k) % 12]}{week}{k}"
            data = demand(title=title, content=f"{title}。", category=category.pk,
                          citizen_phone=f"1370000{week}{k}")  # fmt: skip
            at(
                spike_day - dt.timedelta(weeks=week, minutes=k),
                lifecycle.register,
                by=agent,
                data=data,
            )

    assert detect() == 0


def test_warnings_follow_the_ticket_scope(scene, province, fresh):
    detect()
    u = province.users
    dispatched = scene[0]
    lifecycle.accept(ticket=dispatched, by=u["fz_agent"])
    lifecycle.dispatch(
        ticket=dispatched, by=u["fz_dispatcher"], to_unit=province.units["gl_housing"]
    )
    since = dt.date.today() - dt.timedelta(days=10)

    center = recent_warnings(fresh(u["fz_supervisor"]), since)
    unit = recent_warnings(fresh(u["gl_housing_handler"]), since)
    other_unit = recent_warnings(fresh(u["tj_housing_handler"]), since)
    other_city = recent_warnings(fresh(u["xm_dispatcher"]), since)

    assert center.count() == EarlyWarning.objects.count()
    assert unit.count() == EarlyWarning.objects.count()  # each holds the dispatched ticket
    assert other_unit.count() == 0
    assert other_city.count() == 0
