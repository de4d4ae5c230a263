"""The incidents API: each endpoint's scope (404), role (403), bad input (the error shape,
nothing changed) and the path that works."""

import pytest

from hotline.incidents import marking
from hotline.incidents.models import (
    Incident,
    IncidentTicket,
    OverflowRule,
    PoolMember,
    Script,
    ScriptState,
    TemporaryAgent,
    UrgentReport,
)
from hotline.tickets.models import Status, Ticket
from tests.api.helpers import assert_error, post, url

from .test_incidents import approved, declare

WATER = {"name": "鼓楼区停水", "regions": ["350102"], "keywords": ["停水"],
         "examples": ["家里突然停水了"]}  # fmt: skip
BODY = "鼓楼区因主管爆裂停水，预计今晚20时恢复供水，送水点设在鼓东街道办。"
DEMAND = {"channel": "phone", "appeal_type": "consult", "title": "停水咨询",
          "content": "鼓楼区停水什么时候恢复", "region": "350102",
          "citizen_phone": "13800000001"}  # fmt: skip


def as_user(client, p, username):
    client.force_login(p.users[username])
    return client


def put(client, path, body):
    return client.put(url(path), body, content_type="application/json")


# ---- declare, see, close -------------------------------------------------------------------


def test_a_manager_declares_through_the_api(client, p):
    r = post(as_user(client, p, "fz_admin"), "/incidents", WATER)
    assert r.status_code == 201, r.content.decode()
    body = r.json()
    assert (body["name"], body["center"], body["regions"], body["state"], body["script"]) == (
        "鼓楼区停水", "fz", ["350102"], "active", None)  # fmt: skip
    assert body["may_manage"] is True


@pytest.mark.parametrize(
    ("username", "regions", "status", "field"),
    [
        pytest.param("fz_agent", ["350102"], 403, "regions", id="agent"),
        pytest.param("xm_admin", ["350102"], 403, "regions", id="other-city"),
        pytest.param("fz_admin", ["350203"], 403, "regions", id="outside-own-region"),
        pytest.param("fz_admin", ["999999"], 400, "regions", id="unknown-region"),
        pytest.param("fz_admin", [], 400, "regions", id="no-region"),
    ],
)
def test_declaring_is_refused_and_nothing_is_created(client, p, username, regions, status, field):
    r = post(as_user(client, p, username), "/incidents", {**WATER, "regions": regions})
    assert_error(r, status, field=field)
    assert Incident.objects.count() == 0


def test_a_name_too_short_is_a_clear_error(client, p):
    r = post(as_user(client, p, "fz_admin"), "/incidents", {**WATER, "name": "水"})
    assert_error(r, 400, "validation_error", "name")
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    ("username", "sees"),
    [("fz_agent", True), ("gl_dispatcher", True), ("prov_agent", True), ("xm_agent", False),
     ("xm_admin", False)],
)  # fmt: skip
def test_an_incident_is_seen_where_regions_overlap_and_404_elsewhere(client, p, username, sees):
    incident = declare(p)
    c = as_user(client, p, username)
    listed = [i["id"] for i in c.get(url("/incidents")).json()]
    r = c.get(url(f"/incidents/{incident.pk}"))
    if sees:
        assert (listed, r.status_code) == ([incident.pk], 200)
        assert r.json()["may_manage"] is False
    else:
        assert listed == []
        assert_error(r, 404, "not_found")
        assert_error(c.get(url(f"/incidents/{incident.pk}/board")), 404, "not_found")


def test_only_the_declaring_centers_managers_close(client, p):
    incident = declare(p)
    assert_error(post(as_user(client, p, "fz_agent"), f"/incidents/{incident.pk}/close"), 403)
    assert_error(post(as_user(client, p, "xm_admin"), f"/incidents/{incident.pk}/close"), 404)
    incident.refresh_from_db()
    assert incident.state == "active"
    r = post(as_user(client, p, "fz_admin"), f"/incidents/{incident.pk}/close")
    assert r.json()["state"] == "closed"
    assert_error(post(client, f"/incidents/{incident.pk}/close"), 409, "illegal_transition")


# ---- 口径 ----------------------------------------------------------------------------------


def test_a_draft_is_written_then_approved_and_only_then_shown(
    client, p, live, django_capture_on_commit_callbacks
):
    incident = declare(p)
    c = as_user(client, p, "fz_admin")
    r = post(c, f"/incidents/{incident.pk}/scripts", {"body": BODY})
    assert (r.status_code, r.json()["state"], r.json()["version"]) == (201, "draft", 1)
    agent = as_user(client, p, "fz_agent")
    assert agent.get(url(f"/incidents/{incident.pk}")).json()["script"] is None

    c = as_user(client, p, "fz_admin")
    with django_capture_on_commit_callbacks(execute=True):
        r = post(c, f"/incidents/scripts/{r.json()['id']}/approve")
    assert (r.json()["state"], r.json()["approved_by"]) == ("approved", "fz_admin")
    shown = as_user(client, p, "fz_agent").get(url(f"/incidents/{incident.pk}")).json()
    assert (shown["script"]["body"], shown["script"]["version"]) == (BODY, 1)
    assert f"desk:{p.units['fz'].pk}" in live.topics("incident")


def test_script_endpoints_refuse_agents_other_cities_and_bad_bodies(client, p):
    incident = declare(p)
    draft = Script.objects.create(
        incident=incident, version=1, body=BODY, state=ScriptState.DRAFT,
        written_by=p.users["fz_admin"], written_at=incident.declared_at,
    )  # fmt: skip
    agent = as_user(client, p, "fz_agent")
    assert_error(post(agent, f"/incidents/{incident.pk}/scripts", {"body": BODY}), 403)
    assert_error(post(agent, f"/incidents/scripts/{draft.pk}/approve"), 403)
    assert_error(agent.get(url(f"/incidents/{incident.pk}/scripts")), 403)
    other = as_user(client, p, "xm_admin")
    assert_error(post(other, f"/incidents/scripts/{draft.pk}/approve"), 404, "not_found")
    assert_error(post(other, f"/incidents/{incident.pk}/scripts", {"body": BODY}), 404)
    manager = as_user(client, p, "fz_admin")
    assert_error(post(manager, f"/incidents/{incident.pk}/scripts", {"body": "太短"}), 400,
                 "validation_error", "body")  # fmt: skip
    assert list(Script.objects.values_list("state", flat=True)) == [ScriptState.DRAFT]
    assert [s["version"] for s in manager.get(url(f"/incidents/{incident.pk}/scripts")).json()] == [
        1
    ]


# ---- 直接办结, board, 并单 -----------------------------------------------------------------


def test_an_agent_closes_a_demand_from_the_script_and_the_board_counts_it(client, p):
    incident = declare(p)
    c = as_user(client, p, "fz_agent")
    assert_error(post(c, f"/incidents/{incident.pk}/resolve", DEMAND), 409, "illegal_transition")
    approved(p, incident)
    r = post(as_user(client, p, "fz_agent"), f"/incidents/{incident.pk}/resolve", DEMAND)
    assert r.status_code == 201, r.content.decode()
    assert r.json()["status"] == Status.CLOSED
    board = as_user(client, p, "fz_agent").get(url(f"/incidents/{incident.pk}/board")).json()
    assert (board["total"], board["at_intake"], board["first_contact_share"]) == (1, 1, 1.0)
    assert board["script_version"] == 1


def test_resolving_with_bad_input_changes_nothing(client, p):
    incident = declare(p)
    approved(p, incident)
    c = as_user(client, p, "fz_agent")
    assert_error(post(c, f"/incidents/{incident.pk}/resolve", {**DEMAND, "title": ""}), 422,
                 "validation_error", "title")  # fmt: skip
    assert_error(post(as_user(client, p, "xm_agent"), f"/incidents/{incident.pk}/resolve",
                      DEMAND), 404)  # fmt: skip
    assert Ticket.objects.count() == 0
    assert IncidentTicket.objects.count() == 0


def test_grouping_is_in_scope_and_merges_only_where_the_caller_may_merge(client, p):
    incident = declare(p)
    approved(p, incident)
    for phone in ("13800000001", "13800000002"):
        r = post(as_user(client, p, "fz_agent"), "/tickets", {**DEMAND, "citizen_phone": phone})
        assert r.status_code == 201, r.content.decode()
    marking.mark_new()
    assert_error(post(as_user(client, p, "xm_dispatcher"), f"/incidents/{incident.pk}/group"), 404)
    r = post(as_user(client, p, "fz_admin"), f"/incidents/{incident.pk}/group")
    assert (r.json()["merged"], len(r.json()["failed"])) == (0, 1)
    assert Ticket.objects.filter(status=Status.MERGED).count() == 0
    r = post(as_user(client, p, "fz_dispatcher"), f"/incidents/{incident.pk}/group")
    first = Ticket.objects.order_by("pk").first()
    assert r.json() == {"groups": [first.number], "merged": 1, "failed": []}


# ---- temporary agents ----------------------------------------------------------------------


def test_a_manager_enrolls_a_temporary_agent_who_sees_only_their_own(client, p):
    incident = declare(p)
    approved(p, incident)
    body = {"username": "vol01", "full_name": "志愿者甲"}
    assert_error(post(as_user(client, p, "fz_agent"), f"/incidents/{incident.pk}/temporary-agents",
                      body), 403)  # fmt: skip
    assert_error(post(as_user(client, p, "fz_admin"), f"/incidents/{incident.pk}/temporary-agents",
                      {**body, "username": "x"}), 400, "validation_error", "username")  # fmt: skip
    assert TemporaryAgent.objects.count() == 0
    r = post(as_user(client, p, "fz_admin"), f"/incidents/{incident.pk}/temporary-agents", body)
    assert (r.status_code, r.json()["username"]) == (201, "vol01")
    vol = TemporaryAgent.objects.get().user
    client.force_login(vol)
    r = post(client, "/incidents/temporary/tickets", DEMAND)
    assert (r.status_code, r.json()["status"]) == (201, Status.REGISTERED)
    assert [t["number"] for t in client.get(url("/incidents/temporary/tickets")).json()] == [
        r.json()["number"]
    ]
    assert client.get(url("/tickets")).json()["items"] == []
    assert_error(as_user(client, p, "fz_agent").get(url("/incidents/temporary/tickets")), 404)


# ---- the overflow pool ---------------------------------------------------------------------


def test_overflow_rules_are_set_by_the_centers_managers(client, p):
    r = put(as_user(client, p, "fz_admin"), "/overflow/rules/fz",
            {"max_waiting": 5, "max_wait_seconds": 60})  # fmt: skip
    assert r.json() == {"max_waiting": 5, "max_wait_seconds": 60, "is_active": True}
    assert_error(put(as_user(client, p, "fz_agent"), "/overflow/rules/fz",
                     {"max_waiting": 9, "max_wait_seconds": 60}), 404)  # fmt: skip
    assert_error(put(as_user(client, p, "xm_admin"), "/overflow/rules/fz",
                     {"max_waiting": 9, "max_wait_seconds": 60}), 404, "not_found", "center")  # fmt: skip
    assert_error(put(as_user(client, p, "fz_admin"), "/overflow/rules/fz",
                     {"max_waiting": 0, "max_wait_seconds": 60}), 400, "validation_error")  # fmt: skip
    assert list(OverflowRule.objects.values_list("max_waiting", flat=True)) == [5]
    s = as_user(client, p, "fz_agent").get(url("/overflow/status/fz")).json()
    assert (s["waiting"], s["max_waiting"], s["overflowing"]) == (0, 5, False)
    assert_error(as_user(client, p, "xm_agent").get(url("/overflow/status/fz")), 404)


def test_pool_agents_are_marked_by_their_own_centers_managers(client, p):
    assert_error(post(as_user(client, p, "xm_admin"), "/overflow/pool", {"username": "fz_agent"}),
                 403, "forbidden", "user")  # fmt: skip
    assert_error(post(as_user(client, p, "fz_admin"), "/overflow/pool",
                      {"username": "fz_dispatcher"}), 400, "validation_error", "user")  # fmt: skip
    assert_error(post(as_user(client, p, "fz_admin"), "/overflow/pool", {"username": "nobody"}),
                 404, "not_found", "username")  # fmt: skip
    assert PoolMember.objects.count() == 0
    r = post(as_user(client, p, "xm_admin"), "/overflow/pool", {"username": "xm_agent"})
    assert r.json() == {"username": "xm_agent", "home_center": "xm", "active": True}


def test_registering_for_a_call_that_is_not_an_overflow_call_is_404(client, p):
    r = post(as_user(client, p, "xm_agent"), "/overflow/calls/999/tickets", DEMAND)
    assert_error(r, 404, "not_found", "call")
    assert Ticket.objects.count() == 0


# ---- urgent reports ------------------------------------------------------------------------

REPORT = {"what": "鼓东街道内涝", "place": "鼓东街道", "people": 30, "risk": "有人员被困"}


def test_an_urgent_report_is_acknowledged_at_the_level_above_and_reaches_the_province(client, p):
    r = post(as_user(client, p, "gl_dispatcher"), "/urgent-reports", REPORT)
    assert r.status_code == 201, r.content.decode()
    rid = r.json()["id"]
    assert (r.json()["at_center"], r.json()["state"]) == ("fz", "waiting")
    assert_error(post(as_user(client, p, "gl_dispatcher"), f"/urgent-reports/{rid}/acknowledge"),
                 403, "forbidden")  # fmt: skip
    assert_error(post(as_user(client, p, "xm_admin"), f"/urgent-reports/{rid}/acknowledge"), 404)
    r = post(as_user(client, p, "fz_admin"), f"/urgent-reports/{rid}/acknowledge", {"note": "已阅"})
    assert r.json()["at_center"] == "prov"
    r = post(as_user(client, p, "prov_admin"), f"/urgent-reports/{rid}/acknowledge")
    assert r.json()["state"] == "acknowledged"
    assert [(s["action"], s["center"]) for s in r.json()["steps"]] == [
        ("raise", "gl"), ("deliver", "fz"), ("acknowledge", "fz"), ("forward", "prov"),
        ("acknowledge", "prov")]  # fmt: skip
    assert [x["id"] for x in as_user(client, p, "prov_supervisor").get(
        url("/urgent-reports")).json()] == [rid]  # fmt: skip
    assert as_user(client, p, "xm_admin").get(url("/urgent-reports")).json() == []


@pytest.mark.parametrize(
    ("username", "body", "status", "field"),
    [
        pytest.param("gl_dispatcher", {**REPORT, "what": "x"}, 400, "what", id="what-too-short"),
        pytest.param("gl_dispatcher", {**REPORT, "people": -1}, 400, "people", id="people<0"),
        pytest.param("gl_dispatcher", {**REPORT, "ticket": "NOPE"}, 404, "ticket", id="ticket"),
        pytest.param("gl_housing_handler", REPORT, 403, None, id="a-unit's-handler"),
    ],
)
def test_bad_urgent_reports_change_nothing(client, p, username, body, status, field):
    assert_error(post(as_user(client, p, username), "/urgent-reports", body), status, field=field)
    assert UrgentReport.objects.count() == 0


# ---- the staffing plan ---------------------------------------------------------------------


def test_the_staffing_plan_is_for_the_centers_staff(client, p):
    r = as_user(client, p, "fz_supervisor").get(url("/staffing/fz?start=2026-03-02"))
    assert r.status_code == 200, r.content.decode()
    body = r.json()
    assert (body["center"], len(body["slots"]), body["signed_in"]) == ("fz", 336, 0)
    assert body["slots"][0]["day"] == "2026-03-02" and body["slots"][1]["start"] == "00:30"
    assert_error(as_user(client, p, "xm_admin").get(url("/staffing/fz")), 404, "not_found")
    assert_error(as_user(client, p, "fz_housing_handler").get(url("/staffing/fz")), 404)
    assert_error(as_user(client, p, "fz_admin").get(url("/staffing/fz?start=x")), 422)
