"""Urgent reports travel up and merge; the staffing plan from the calls of past weeks."""

import datetime as dt

import pytest
from django.utils import timezone

from hotline.calls.models import Call
from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.incidents import staffing, urgent
from hotline.incidents.erlang import agents_needed
from hotline.incidents.models import ReportState
from hotline.supervision.models import Notification

from .test_incidents import declare
from .test_pool import cti  # noqa: F401 - the province's call platform fixture


def steps(report):
    return [(s.action, s.center.code) for s in report.steps.select_related("center")]


def raise_one(p, by="gl_dispatcher", what="鼓东街道内涝", **more):
    return urgent.raise_report(
        by=p.users[by], what=what, place="鼓东街道", people=30, risk="有人员被困", **more
    )


def test_a_report_reaches_the_duty_officer_above_at_once(p):
    now = timezone.now()
    urgent.add_shift(
        by=p.users["fz_admin"],
        center=p.units["fz"],
        user=p.users["fz_supervisor"],
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=7),
    )
    report = raise_one(p)
    assert (report.at_center, report.state) == (p.units["fz"], ReportState.WAITING)
    assert steps(report) == [("raise", "gl"), ("deliver", "fz")]
    notes = Notification.objects.filter(recipient=p.users["fz_supervisor"])
    assert [n.title for n in notes] == ["紧急信息：鼓东街道内涝"]


def test_acknowledged_it_travels_on_to_the_province(p):
    report = raise_one(p)
    urgent.acknowledge(by=p.users["fz_dispatcher"], report=report, note="已核实")
    report.refresh_from_db()
    assert (report.at_center, report.state) == (p.units["prov"], ReportState.WAITING)
    urgent.acknowledge(by=p.users["prov_dispatcher"], report=report)
    report.refresh_from_db()
    assert report.state == ReportState.ACKNOWLEDGED
    assert steps(report) == [
        ("raise", "gl"),
        ("deliver", "fz"),
        ("acknowledge", "fz"),
        ("forward", "prov"),
        ("acknowledge", "prov"),
    ]


def test_not_acknowledged_in_time_it_escalates_to_the_province(p, settings):
    settings.HOTLINE_URGENT_ACK_SECONDS = 60
    report = raise_one(p)
    assert urgent.escalate_overdue(timezone.now() + dt.timedelta(seconds=30)) == 0
    assert urgent.escalate_overdue(timezone.now() + dt.timedelta(seconds=61)) == 1
    report.refresh_from_db()
    assert (report.at_center, report.state) == (p.units["prov"], ReportState.WAITING)
    assert [a for a, _ in steps(report)] == ["raise", "deliver", "overdue", "escalate"]


def test_reports_on_the_same_matter_merge_on_the_way_up_into_one_list(p):
    incident = declare(p)
    first = raise_one(p, incident=incident)
    second = urgent.raise_report(
        by=p.users["fz_dispatcher"], what="台江积水", place="台江区", people=80, incident=incident
    )
    urgent.acknowledge(by=p.users["fz_dispatcher"], report=first)
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.state, second.merged_into) == (ReportState.WAITING, None)
    assert second.at_center == p.units["prov"]
    assert (first.state, first.merged_into) == (ReportState.MERGED, second)
    assert second.people == 80
    listed = list(urgent.province_list(p.users["prov_dispatcher"]))
    assert listed == [second]
    assert list(listed[0].merged.all()) == [first]


@pytest.mark.parametrize(
    ("by", "error"),
    [
        pytest.param("xm_dispatcher", NotFound, id="another-city"),
        pytest.param("gl_housing_handler", NotFound, id="a-unit"),
        pytest.param("gl_dispatcher", Forbidden, id="the-origin-not-the-level-above"),
    ],
)
def test_only_the_level_where_it_waits_acknowledges(p, by, error):
    report = raise_one(p)
    with pytest.raises(error):
        urgent.acknowledge(by=p.users[by], report=report)
    report.refresh_from_db()
    assert report.state == ReportState.WAITING


def test_an_acknowledged_report_cannot_be_acknowledged_twice(p):
    report = raise_one(p, by="fz_dispatcher")
    urgent.acknowledge(by=p.users["prov_dispatcher"], report=report)
    with pytest.raises(IllegalTransition):
        urgent.acknowledge(by=p.users["prov_dispatcher"], report=report)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"what": ""}, "what", id="no-what"),
        pytest.param({"place": "x"}, "place", id="no-place"),
        pytest.param({"people": -1}, "people", id="negative-people"),
    ],
)
def test_bad_reports_change_nothing(p, fields, field):
    values = {"what": "内涝", "place": "鼓东街道", "people": 3, **fields}
    with pytest.raises(InvalidInput) as exc:
        urgent.raise_report(by=p.users["gl_dispatcher"], **values)
    assert exc.value.field == field
    assert urgent.UrgentReport.objects.count() == 0


def test_handling_units_raise_no_reports(p):
    with pytest.raises(Forbidden):
        urgent.raise_report(by=p.users["gl_housing_handler"], what="内涝", place="鼓东街道")


def make_calls(p, day, hour, minute, n, *, aht=240):
    platform = staffing.Call._meta.get_field("platform").related_model.objects.first()
    local = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
    Call.objects.bulk_create(
        Call(
            platform=platform,
            platform_call_id=f"{day}-{hour}-{minute}-{i}",
            center=p.units["fz"],
            offered_at=local,
            answered_at=local,
            talk_seconds=aht,
            day=day,
            hour=hour,
            state="finished",
            outcome="answered",
        )
        for i in range(n)
    )


def test_the_plan_follows_past_mondays_and_leaves_incident_days_out(p, cti):  # noqa: F811
    monday = dt.date(2026, 10, 12)
    for weeks in (1, 2):
        make_calls(p, monday - dt.timedelta(weeks=weeks), 9, 0, 30)
        make_calls(p, monday - dt.timedelta(weeks=weeks), 9, 30, 10)
    # A surge on the Monday three weeks back: an incident ran then, so it is not history.
    surge = monday - dt.timedelta(weeks=3)
    make_calls(p, surge, 9, 0, 300)
    incident = declare(p)
    incident.starts_at = timezone.make_aware(dt.datetime.combine(surge, dt.time(8)))
    incident.ends_at = timezone.make_aware(dt.datetime.combine(surge, dt.time(20)))
    incident.save()
    slots, aht = staffing.plan(p.units["fz"], monday)
    plan = {(s.day, s.slot): s for s in slots}
    assert aht == 240
    assert plan[(monday, 18)].calls == pytest.approx(30.0)
    assert plan[(monday, 19)].calls == pytest.approx(10.0)
    expected = agents_needed(calls=30, aht_seconds=240, max_occupancy=0.85)
    assert plan[(monday, 18)].staffing == expected
    assert plan[(monday, 20)].staffing.agents == 0
    assert len(slots) == 7 * 48
