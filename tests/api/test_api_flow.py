"""The tickets API end to end: the main path, idempotent intake, list filters and pages,
refusals (409, 403), Bearer tokens, and the OpenAPI document."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from hotline.orgs.models import ApiToken
from hotline.orgs.services import issue_token
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, Ticket, TicketEvent
from tests.tickets.factory import demand, ticket_at

from .helpers import (
    ACTION_IDS,
    ACTIONS,
    assert_error,
    body_for,
    numbers,
    post,
    snapshot,
    ticket_in,
    url,
    xm_ticket,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FZ = "福州市12345热线中心"
GL_HOUSING = "鼓楼区住建局"


def _bearer(user) -> dict:
    _, key = issue_token(user=user, name="接口测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture(params=["session", "bearer"])
def act_as(request, client):
    """Authenticate the next requests as a user, by session login or by a Bearer token."""

    def _as(user) -> dict:
        client.logout()
        if request.param == "session":
            client.force_login(user)
            return {}
        return _bearer(user)

    return _as


# ---- the main path ---------------------------------------------------------------------------


def test_main_path_from_registration_to_closed(client, province, act_as):
    u = province.users

    # given an agent registers a web demand
    auth = act_as(u["fz_agent"])
    created = post(
        client,
        "/tickets",
        {
            "channel": "web",
            "appeal_type": "complaint",
            "title": "小区电梯长期故障",
            "content": "鼓楼区某小区3号楼电梯停运两周，物业不修。",
            "citizen_name": "张三",
            "citizen_phone": "13800000001",
            "region": "350102",
        },
        **auth,
    )
    assert created.status_code == 201, created.content.decode()
    number = created.json()["number"]
    assert (created.json()["status"], created.json()["status_label"]) == ("registered", "待受理")
    assert created.json()["center"] == {"code": "fz", "name": FZ}

    # when it goes along the main path, each step by its own actor
    steps = [
        ("fz_agent", "accept", {"note": "已核实"}, "pending_dispatch"),
        ("fz_dispatcher", "dispatch", {"to_unit": "gl_housing"}, "dispatched"),
        ("gl_housing_handler", "acknowledge", {}, "in_progress"),
        ("gl_housing_handler", "reply", {"body": "已督促物业维修，电梯已恢复运行。"}, "replied"),
        ("fz_reviewer", "reply/approve", {"note": "答复规范"}, "reviewed"),
        ("fz_callback", "callback", {"satisfaction": "satisfied", "resolved": True}, "closed"),
    ]
    for username, path, body, expected in steps:
        auth = act_as(u[username])
        response = post(client, f"/tickets/{number}/{path}", body, **auth)
        assert response.status_code == 200, (path, response.content.decode())
        assert response.json()["status"] == expected, path
        if path == "dispatch":
            assert response.json()["lead_unit"] == {"code": "gl_housing", "name": GL_HOUSING}
            assert response.json()["ack_deadline"] is not None
            assert response.json()["handle_deadline"] is not None
            assert (response.json()["deadline_state"], response.json()["deadline_label"]) == (
                "on_time",
                "正常",
            )

    # then the detail shows it closed, with its whole timeline in Chinese
    auth = act_as(u["fz_agent"])
    detail = client.get(url(f"/tickets/{number}"), **auth).json()
    assert (detail["status"], detail["status_label"]) == ("closed", "已办结")
    assert (detail["satisfaction"], detail["resolved"]) == ("satisfied", True)
    assert detail["reply"] == "已督促物业维修，电梯已恢复运行。"
    assert (detail["deadline_state"], detail["deadline_label"]) == ("on_time", "正常")
    assert [
        (e["seq"], e["action"], e["action_label"], e["from_status"], e["to_status"], e["unit"])
        for e in detail["timeline"]
    ] == [
        (1, "register", "受理", "", "registered", FZ),
        (2, "accept", "受理确认", "registered", "pending_dispatch", FZ),
        (3, "dispatch", "派单", "pending_dispatch", "dispatched", FZ),
        (4, "acknowledge", "签收", "dispatched", "in_progress", GL_HOUSING),
        (5, "reply", "答复", "in_progress", "replied", GL_HOUSING),
        (6, "approve_reply", "审核通过", "replied", "reviewed", FZ),
        (7, "callback", "回访", "reviewed", "closed", FZ),
    ]
    assert [e["actor"] for e in detail["timeline"]] == [
        "fz_agent",
        "fz_agent",
        "fz_dispatcher",
        "gl_housing_handler",
        "gl_housing_handler",
        "fz_reviewer",
        "fz_callback",
    ]
    chain = client.get(url(f"/tickets/{number}/chain"), **auth).json()
    assert chain == {"number": number, "ok": True, "problem": "", "seq": None}


def test_detail_shows_an_overdue_ticket_as_overdue(client, province):
    # given a dispatched ticket whose acknowledgement deadline has passed
    t = ticket_at(province, Status.DISPATCHED)
    Ticket.objects.filter(pk=t.pk).update(ack_deadline=timezone.now() - timedelta(hours=1))
    client.force_login(province.users["fz_dispatcher"])

    # when it is read
    detail = client.get(url(f"/tickets/{t.number}")).json()

    # then its deadline state says so
    assert (detail["deadline_state"], detail["deadline_label"]) == ("overdue", "超期")


# Where each transition leaves the ticket when its rightful actor sends the valid body.
OUTCOMES = {
    "accept": "pending_dispatch",
    "invalid": "invalid",
    "dispatch": "dispatched",
    "sub-dispatch": "dispatched",
    "acknowledge": "in_progress",
    "return": "return_requested",
    "return/approve": "pending_dispatch",
    "return/reject": "in_progress",
    "extension": "in_progress",
    "extension/approve": "in_progress",
    "extension/reject": "in_progress",
    "reply": "replied",
    "reply/approve": "reviewed",
    "reply/reject": "in_progress",
    "callback": "closed",
    "close": "closed",
    "reopen": "in_progress",
    "merge": "merged",
    "supervise": "in_progress",
}


@pytest.mark.parametrize(("path", "state", "actor", "body"), ACTIONS, ids=ACTION_IDS)
def test_every_transition_succeeds_for_its_actor_with_one_event(
    client, province, path, state, actor, body
):
    # given a ticket in the state where the action is legal
    t = ticket_in(province, state)
    body = body_for(province, body)
    events = t.event_count
    client.force_login(province.users[actor])

    # when the rightful actor sends a valid body
    response = post(client, f"/tickets/{t.number}/{path}", body)

    # then it answers 200 with the ticket in its new state, one event more
    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == OUTCOMES[path]
    t.refresh_from_db()
    assert t.status == OUTCOMES[path]
    assert t.event_count == events + 1
    assert response.json()["timeline"][-1]["seq"] == t.event_count


def test_merge_answers_with_the_ticket_carrying_the_demand_on(client, province):
    duplicate = ticket_in(province, "pending_dispatch")
    target = ticket_in(province, "in_progress")
    client.force_login(province.users["fz_dispatcher"])

    response = post(client, f"/tickets/{duplicate.number}/merge", {"into": target.number})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["merged_into"]) == (
        "merged",
        target.number,
    )
    absorbed = client.get(url(f"/tickets/{target.number}")).json()["timeline"][-1]
    assert (absorbed["action"], absorbed["action_label"]) == ("absorb", "并入重复件")


def test_assisting_unit_acknowledges_its_part_without_moving_the_ticket(client, province):
    t = ticket_in(province, "pending_dispatch")
    lifecycle.dispatch(
        ticket=t,
        by=province.users["fz_dispatcher"],
        to_unit=province.units["gl_housing"],
        assisting=[province.units["gl_town"]],
    )
    client.force_login(province.users["gl_town_handler"])

    response = post(client, f"/tickets/{t.number}/acknowledge")

    assert response.status_code == 200
    assert response.json()["status"] == "dispatched"
    last = response.json()["timeline"][-1]
    assert (last["action"], last["action_label"], last["unit"]) == (
        "acknowledge_assist",
        "协办签收",
        "鼓东街道办事处",
    )


def test_resolve_at_intake_registers_a_closed_ticket(client, province):
    client.force_login(province.users["fz_agent"])

    response = post(
        client,
        "/tickets/resolve-at-intake",
        {
            "channel": "phone",
            "appeal_type": "consult",
            "title": "社保卡补办",
            "content": "社保卡丢了怎么补办",
            "reply": "可携带身份证到社保窗口办理。",
        },
    )

    assert response.status_code == 201, response.content.decode()
    assert (response.json()["status"], response.json()["reply"]) == (
        "closed",
        "可携带身份证到社保窗口办理。",
    )
    assert [e["action_label"] for e in response.json()["timeline"]] == ["直接办结"]


# ---- idempotent intake (rule 6) --------------------------------------------------------------

DEMAND = {
    "channel": "subcenter",
    "appeal_type": "help",
    "title": "路灯不亮",
    "content": "鼓东路路灯连续三晚不亮。",
    "external_ref": "FZ-SUB-0001",
}


def test_same_external_ref_returns_the_same_ticket_with_200(client, province):
    # given a demand registered with a sub-center's own id
    client.force_login(province.users["fz_agent"])
    first = post(client, "/tickets", DEMAND)
    before = snapshot()

    # when the same id arrives again, even with other text
    again = post(client, "/tickets", {**DEMAND, "title": "路灯不亮（重发）"})

    # then it is the same ticket, answered 200, and nothing was added
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["title"] == "路灯不亮"
    assert again.json()["external_ref"] == "FZ-SUB-0001"
    assert snapshot() == before


def test_same_external_ref_from_another_channel_is_another_ticket(client, province):
    client.force_login(province.users["fz_agent"])
    first = post(client, "/tickets", DEMAND)

    other = post(client, "/tickets", {**DEMAND, "channel": "open311"})

    assert (first.status_code, other.status_code) == (201, 201)
    assert other.json()["number"] != first.json()["number"]
    assert Ticket.objects.count() == 2


# ---- list filters ----------------------------------------------------------------------------


def _local(y, m, d, hh, mm):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def listed(province):
    """Four 福州 tickets, oldest first, and one of 厦门 that 福州 never sees.

    a: web complaint of 鼓楼区, registered, 2025-01-10 00:30 local (still 01-09 in UTC)
    b: phone consult of 台江区 about 社保, pending dispatch, 2025-01-10 23:59 local
    c: web complaint at 鼓楼区住建局, dispatched and overdue for acknowledgement
    d: web complaint at 福州市住建局, in progress
    """
    u = province.users
    a, _ = lifecycle.register(by=u["fz_agent"], data=demand())
    b, _ = lifecycle.register(
        by=u["fz_agent"],
        data=demand(
            channel="phone",
            appeal_type="consult",
            region="350103",
            title="咨询社保卡补办",
            content="社保卡丢了，怎么补办？",
        ),
    )
    c = ticket_at(province, Status.DISPATCHED)
    d = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing", title="违章建筑占用通道")
    xm_ticket(province)
    Ticket.objects.filter(pk=a.pk).update(created_at=_local(2025, 1, 10, 0, 30))
    Ticket.objects.filter(pk=b.pk).update(created_at=_local(2025, 1, 10, 23, 59))
    Ticket.objects.filter(pk=c.pk).update(ack_deadline=timezone.now() - timedelta(hours=1))
    return {"a": a, "b": b, "c": c, "d": d}


# (id, query, expected keys, newest first)
FILTERS = [
    ("none", {}, "dcba"),
    ("status-one", {"status": "registered"}, "a"),
    ("status-two", {"status": ["registered", "dispatched"]}, "ca"),
    ("status-none-match", {"status": "closed"}, ""),
    ("unit-county-department", {"unit": "gl_housing"}, "c"),
    ("unit-city-department", {"unit": "fz_housing"}, "d"),
    ("unit-without-tickets", {"unit": "tj_housing"}, ""),
    ("region-county", {"region": "350103"}, "b"),
    ("region-city-with-counties", {"region": "350100"}, "dcba"),
    ("region-other-city", {"region": "350200"}, ""),
    ("appeal_type", {"appeal_type": "consult"}, "b"),
    ("channel", {"channel": "phone"}, "b"),
    ("urgency", {"urgency": "urgent"}, ""),
    ("overdue-true", {"overdue": "true"}, "c"),
    ("overdue-false", {"overdue": "false"}, "dba"),
    ("q-title-word", {"q": "社保"}, "b"),
    ("q-content-word", {"q": "电梯停运"}, "dca"),
    ("q-nothing", {"q": "垃圾分类"}, ""),
    ("created-on-one-local-day", {"created_from": "2025-01-10", "created_to": "2025-01-10"}, "ba"),
    ("created-to-the-day-before", {"created_to": "2025-01-09"}, ""),
    ("created-from-the-day-after", {"created_from": "2025-01-11"}, "dc"),
    ("combined", {"status": ["registered", "pending_dispatch"], "region": "350102"}, "a"),
]


@pytest.mark.parametrize(
    ("query", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS]
)
def test_list_filters(client, province, listed, query, expected):
    client.force_login(province.users["fz_dispatcher"])

    response = client.get(url("/tickets"), query)

    assert numbers(response) == [listed[k].number for k in expected]
    assert response.json()["next_cursor"] is None


def test_list_finds_a_ticket_by_its_number(client, province, listed):
    client.force_login(province.users["fz_dispatcher"])

    response = client.get(url("/tickets"), {"q": f" {listed['b'].number} "})

    assert numbers(response) == [listed["b"].number]


def test_unit_filter_lists_a_ticket_once_however_many_of_its_assignments_match(client, province):
    # given a ticket led by 鼓楼区住建局 with 鼓东街道 assisting, then sub-dispatched to 鼓东街道
    t = ticket_in(province, "pending_dispatch")
    lifecycle.dispatch(
        ticket=t,
        by=province.users["fz_dispatcher"],
        to_unit=province.units["gl_housing"],
        assisting=[province.units["gl_town"]],
    )
    client.force_login(province.users["fz_dispatcher"])

    # when the dispatcher filters by either unit
    by_lead = client.get(url("/tickets"), {"unit": "gl_housing"})
    by_assisting = client.get(url("/tickets"), {"unit": "gl_town"})

    # then the ticket is listed once for each
    assert numbers(by_lead) == [t.number]
    assert numbers(by_assisting) == [t.number]


# ---- cursor pagination -----------------------------------------------------------------------


def test_cursor_pages_walk_every_ticket_once(client, province):
    # given five tickets of the 福州 center (and one of 厦门)
    made = [ticket_at(province, Status.REGISTERED, title=f"第{i}件") for i in range(5)]
    xm_ticket(province)
    client.force_login(province.users["fz_dispatcher"])

    # when the list is read two at a time, following the cursor
    pages, cursor = [], None
    for _ in range(3):
        query = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        response = client.get(url("/tickets"), query)
        pages.append(numbers(response))
        cursor = response.json()["next_cursor"]

    # then three pages of 2, 2 and 1 hold every ticket once, newest first, and the last
    # page has no cursor
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [n for p in pages for n in p] == [t.number for t in reversed(made)]
    assert cursor is None


def test_cursor_pages_keep_the_filter(client, province):
    made = [ticket_at(province, Status.REGISTERED) for _ in range(3)]
    accepted = [ticket_at(province, Status.PENDING_DISPATCH) for _ in range(2)]
    client.force_login(province.users["fz_dispatcher"])

    first = client.get(url("/tickets"), {"limit": 2, "status": "registered"})
    second = client.get(
        url("/tickets"),
        {"limit": 2, "status": "registered", "cursor": first.json()["next_cursor"]},
    )

    assert numbers(first) + numbers(second) == [t.number for t in reversed(made)]
    assert second.json()["next_cursor"] is None
    assert not {t.number for t in accepted} & set(numbers(first) + numbers(second))


def test_exactly_one_full_page_has_no_next_cursor(client, province):
    [ticket_at(province, Status.REGISTERED) for _ in range(2)]
    client.force_login(province.users["fz_dispatcher"])

    response = client.get(url("/tickets"), {"limit": 2})

    assert len(numbers(response)) == 2
    assert response.json()["next_cursor"] is None


# ---- refusals: wrong state (409), wrong role in scope (403) ------------------------------------

# (id, path, state, actor, body, field)
WRONG_STATE = [
    ("accept-when-pending-dispatch", "accept", "pending_dispatch", "fz_agent", {}, "status"),
    (
        "dispatch-when-registered",
        "dispatch",
        "registered",
        "fz_dispatcher",
        {"to_unit": "gl_housing"},
        "status",
    ),
    (
        "acknowledge-when-in-progress",
        "acknowledge",
        "in_progress",
        "gl_housing_handler",
        {},
        "status",
    ),
    (
        "reply-when-dispatched",
        "reply",
        "dispatched",
        "gl_housing_handler",
        {"body": "已处理完毕，电梯恢复"},
        "status",
    ),
    (
        "callback-when-replied",
        "callback",
        "replied",
        "fz_callback",
        {"satisfaction": "satisfied"},
        "status",
    ),
    ("reopen-when-reviewed", "reopen", "reviewed", "fz_callback", {"reason": "问题复发"}, "status"),
    (
        "approve-return-without-request",
        "return/approve",
        "in_progress",
        "fz_dispatcher",
        {},
        "status",
    ),
    (
        "approve-extension-without-request",
        "extension/approve",
        "in_progress",
        "fz_dispatcher",
        {},
        None,
    ),
    (
        "second-extension-request-while-one-pends",
        "extension",
        "extension_pending",
        "gl_housing_handler",
        {"days": 1, "reason": "还需协调部门"},
        None,
    ),
    (
        "supervise-when-closed",
        "supervise",
        "closed",
        "fz_supervisor",
        {"reason": "反映强烈"},
        "status",
    ),
    ("merge-when-closed", "merge", "closed", "fz_dispatcher", {"into": "{other}"}, "status"),
]


@pytest.mark.parametrize(
    ("path", "state", "actor", "body", "field"),
    [c[1:] for c in WRONG_STATE],
    ids=[c[0] for c in WRONG_STATE],
)
def test_transition_in_the_wrong_state_is_409_and_changes_nothing(
    client, province, path, state, actor, body, field
):
    t = ticket_in(province, state)
    body = body_for(province, body)
    before = snapshot(t)
    client.force_login(province.users[actor])

    response = post(client, f"/tickets/{t.number}/{path}", body)

    assert_error(response, 409, "illegal_transition", field)
    assert snapshot(t) == before


def test_merge_into_a_closed_ticket_is_409_naming_into(client, province):
    t = ticket_in(province, "pending_dispatch")
    closed = ticket_in(province, "closed")
    before = snapshot(t)
    client.force_login(province.users["fz_dispatcher"])

    response = post(client, f"/tickets/{t.number}/merge", {"into": closed.number})

    assert_error(response, 409, "illegal_transition", "into")
    assert snapshot(t) == before


# (id, path, state, actor, body) — the actor sees the ticket but lacks the role
ROLELESS = [
    ("analyst-accepts", "accept", "registered", "fz_analyst", {}),
    ("supervisor-replies", "reply", "in_progress", "fz_supervisor", {"body": "已经处理好了"}),
    (
        "reviewer-dispatches",
        "dispatch",
        "pending_dispatch",
        "fz_reviewer",
        {"to_unit": "gl_housing"},
    ),
    (
        "county-center-dispatches-a-city-held-ticket",
        "dispatch",
        "pending_dispatch",
        "gl_dispatcher",
        {"to_unit": "gl_housing"},
    ),
    ("dispatcher-replies", "reply", "in_progress", "fz_dispatcher", {"body": "已经处理好了"}),
    ("handler-approves-its-own-reply", "reply/approve", "replied", "gl_housing_handler", {}),
    ("handler-supervises", "supervise", "in_progress", "gl_housing_handler", {"reason": "要督办"}),
    (
        "handler-approves-its-own-return",
        "return/approve",
        "return_requested",
        "gl_housing_handler",
        {},
    ),
    ("callback-agent-accepts", "accept", "registered", "fz_callback", {}),
]


@pytest.mark.parametrize(
    ("path", "state", "actor", "body"), [c[1:] for c in ROLELESS], ids=[c[0] for c in ROLELESS]
)
def test_transition_without_the_role_in_scope_is_403_and_changes_nothing(
    client, province, path, state, actor, body
):
    t = ticket_in(province, state)
    before = snapshot(t)
    client.force_login(province.users[actor])
    assert client.get(url(f"/tickets/{t.number}")).status_code == 200  # in scope

    response = post(client, f"/tickets/{t.number}/{path}", body)

    assert_error(response, 403, "forbidden", None)
    assert snapshot(t) == before


def test_registration_by_a_handling_unit_is_403_and_registers_nothing(client, province):
    before = snapshot()
    client.force_login(province.users["gl_housing_handler"])

    response = post(client, "/tickets", {**DEMAND, "external_ref": None})

    assert_error(response, 403, "forbidden", None)
    assert snapshot() == before


# ---- Bearer tokens ---------------------------------------------------------------------------


def test_bearer_token_reads_in_the_users_scope(province):
    # given a token of the 厦门 dispatcher and tickets of both cities
    fuzhou = ticket_at(province, Status.REGISTERED)
    xiamen = xm_ticket(province)
    machine = Client()
    auth = _bearer(province.users["xm_dispatcher"])

    # when the machine lists and reads tickets with it
    listed = machine.get(url("/tickets"), **auth)

    # then it sees what the user sees
    assert numbers(listed) == [xiamen.number]
    assert machine.get(url(f"/tickets/{xiamen.number}"), **auth).status_code == 200
    assert_error(machine.get(url(f"/tickets/{fuzhou.number}"), **auth), 404, "not_found", None)


def test_bearer_token_changes_a_ticket_without_a_csrf_token(province):
    # given a machine client that enforces CSRF and holds the agent's token
    t = ticket_in(province, "registered")
    machine = Client(enforce_csrf_checks=True)
    auth = _bearer(province.users["fz_agent"])

    # when it accepts a ticket
    response = post(machine, f"/tickets/{t.number}/accept", {"note": "接口受理"}, **auth)

    # then the token is enough, and the event names the token's user
    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "pending_dispatch"
    assert response.json()["timeline"][-1]["actor"] == "fz_agent"
    assert ApiToken.objects.get(user=province.users["fz_agent"]).last_used_at is not None


def _revoked(province):
    token, key = issue_token(user=province.users["fz_agent"], name="已停用")
    token.is_active = False
    token.save()
    return f"Bearer {key}"


def _of_inactive_user(province):
    user = province.users["fz_agent"]
    _, key = issue_token(user=user, name="离职")
    user.is_active = False
    user.save()
    return f"Bearer {key}"


BAD_TOKENS = [
    ("unknown-token", lambda p: "Bearer hl_not-a-real-token"),
    ("empty-token", lambda p: "Bearer "),
    ("wrong-scheme", lambda p: "Token " + issue_token(user=p.users["fz_agent"], name="x")[1]),
    ("revoked-token", _revoked),
    ("inactive-user", _of_inactive_user),
]


@pytest.mark.parametrize("make", [b[1] for b in BAD_TOKENS], ids=[b[0] for b in BAD_TOKENS])
def test_bad_bearer_token_is_401_and_changes_nothing(province, make):
    t = ticket_in(province, "registered")
    header = make(province)
    before = snapshot(t)
    machine = Client()

    read = machine.get(url("/tickets"), HTTP_AUTHORIZATION=header)
    write = post(machine, f"/tickets/{t.number}/accept", {"note": ""}, HTTP_AUTHORIZATION=header)

    assert_error(read, 401, "not_authenticated", None)
    assert_error(write, 401, "not_authenticated", None)
    assert snapshot(t) == before


# ---- OpenAPI and docs --------------------------------------------------------------------------

PATHS = {
    "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/resolve-at-intake": {"post"},
    "/api/v1/tickets/{number}": {"get"},
    "/api/v1/tickets/{number}/chain": {"get"},
    **{f"/api/v1/tickets/{{number}}/{path}": {"post"} for path in ACTION_IDS},
    # the unit leader's approval (tests/tickets/test_leader_approval.py)
    "/api/v1/tickets/{number}/leader/approve": {"post"},
    "/api/v1/tickets/{number}/leader/reject": {"post"},
    "/api/v1/tickets/{number}/leader/withdraw": {"post"},
    "/api/v1/approvals": {"get"},
    # attachments (tests/tickets/test_attachments.py)
    "/api/v1/tickets/{number}/attachments": {"post"},
    "/api/v1/tickets/{number}/attachments/{attachment_id}": {"get"},
    # the knowledge base (hotline/knowledge/api.py)
    "/api/v1/knowledge/search": {"get"},
    "/api/v1/knowledge/articles": {"post"},
    "/api/v1/knowledge/articles/{article_id}": {"get", "put"},
    "/api/v1/knowledge/articles/{article_id}/retire": {"post"},
    "/api/v1/knowledge/articles/{article_id}/uses": {"post"},
    # screening (hotline/screening/api.py)
    "/api/v1/screening/screen": {"post"},
    "/api/v1/screening/tickets/{number}/risk": {"get"},
    "/api/v1/screening/tickets/{number}/duplicates": {"get"},
    "/api/v1/screening/tickets/{number}/reply-check": {"post"},
    "/api/v1/screening/tickets/{number}/reply-review": {"post"},
    "/api/v1/screening/tickets/{number}/handover": {"post"},
    "/api/v1/screening/risk-board": {"get"},
    "/api/v1/screening/repeats": {"get"},
    "/api/v1/screening/lexicon": {"get", "post"},
    # intelligent dispatch (hotline/routing/api.py)
    "/api/v1/routing/suggest": {"post"},
    "/api/v1/tickets/{number}/suggestions": {"get"},
    # supervision ledger and notifications (hotline/supervision/api.py)
    "/api/v1/supervision/items": {"get", "post"},
    "/api/v1/supervision/items/{item_id}": {"get"},
    "/api/v1/supervision/items/{item_id}/answer": {"post"},
    "/api/v1/supervision/items/{item_id}/clear": {"post"},
    "/api/v1/supervision/items/{item_id}/escalate": {"post"},
    # 暗访 and 典型曝光 (hotline/supervision/api_checks.py)
    "/api/v1/supervision/field-checks": {"get", "post"},
    "/api/v1/supervision/field-checks/{check_id}": {"get"},
    "/api/v1/supervision/field-checks/{check_id}/photos": {"post"},
    "/api/v1/supervision/field-checks/{check_id}/supervise": {"post"},
    "/api/v1/supervision/field-checks/{check_id}/propose": {"post"},
    "/api/v1/supervision/bulletins": {"get", "post"},
    "/api/v1/supervision/bulletin-candidates": {"get"},
    "/api/v1/supervision/bulletins/{bulletin_id}": {"get"},
    "/api/v1/supervision/bulletins/{bulletin_id}/cases": {"post"},
    "/api/v1/supervision/bulletins/{bulletin_id}/submit": {"post"},
    "/api/v1/supervision/bulletins/{bulletin_id}/decide": {"post"},
    "/api/v1/supervision/bulletins/{bulletin_id}/issue": {"post"},
    "/api/v1/supervision/bulletins/{bulletin_id}/document": {"get"},
    "/api/v1/notifications": {"get"},
    "/api/v1/notifications/unread-count": {"get"},
    "/api/v1/notifications/read": {"post"},
    # scorecards (hotline/evaluation/api.py)
    "/api/v1/evaluation/scorecards": {"get"},
    # the exchange (hotline/exchange/api.py)
    "/api/v1/exchange/tickets": {"post"},
    "/api/v1/exchange/status": {"post"},
    "/api/v1/exchange/events": {"get"},
    "/api/v1/exchange/export": {"get"},
    # 110 linkage (hotline/exchange/police_api.py)
    "/api/v1/exchange/police/tickets/{number}/handover": {"post"},
    "/api/v1/exchange/police/board": {"get"},
    "/api/v1/exchange/police/handovers": {"get"},
    "/api/v1/exchange/police/handovers/{reference}": {"get"},
    "/api/v1/exchange/police/handovers/{reference}/reports": {"post"},
    "/api/v1/exchange/police/demands": {"post"},
    "/api/v1/exchange/police/demands/{police_ref}": {"get"},
    # the dashboard (hotline/reports/api.py)
    "/api/v1/dashboard/today": {"get"},
    "/api/v1/dashboard/top": {"get"},
    "/api/v1/dashboard/satisfaction": {"get"},
    "/api/v1/dashboard/warnings": {"get"},
    "/api/v1/evaluation/center-calls": {"get"},
    # health (hotline/health.py)
    "/api/v1/health": {"get"},
    # calls and the CTI events of call platforms (hotline/calls/api.py)
    "/api/v1/cti/events": {"post"},
    "/api/v1/calls": {"get"},
    "/api/v1/calls/{call_id}": {"get"},
    "/api/v1/calls/{call_id}/tickets": {"post"},
    "/api/v1/calls/agent/me": {"get"},
    "/api/v1/calls/agent/sign-in": {"post"},
    "/api/v1/calls/agent/sign-out": {"post"},
    "/api/v1/calls/agent/state": {"post"},
    "/api/v1/calls/callbacks/queue": {"get"},
    "/api/v1/calls/callbacks/{item_id}/take": {"post"},
    "/api/v1/calls/callbacks/{item_id}/outcome": {"post"},
    "/api/v1/calls/callbacks/{item_id}/dial": {"post"},
    "/api/v1/calls/dial": {"post"},
    "/api/v1/calls/figures": {"get"},
    "/api/v1/calls/history": {"get"},
    # incidents, overflow, staffing and urgent reports (hotline/incidents/api.py)
    "/api/v1/incidents": {"get", "post"},
    "/api/v1/incidents/{incident_id}": {"get"},
    "/api/v1/incidents/{incident_id}/board": {"get"},
    "/api/v1/incidents/{incident_id}/close": {"post"},
    "/api/v1/incidents/{incident_id}/group": {"post"},
    "/api/v1/incidents/{incident_id}/resolve": {"post"},
    "/api/v1/incidents/{incident_id}/scripts": {"get", "post"},
    "/api/v1/incidents/scripts/{script_id}/approve": {"post"},
    "/api/v1/incidents/{incident_id}/temporary-agents": {"post"},
    "/api/v1/incidents/temporary/tickets": {"get", "post"},
    "/api/v1/overflow/calls/{call_id}/tickets": {"post"},
    "/api/v1/overflow/pool": {"post"},
    "/api/v1/overflow/rules/{center}": {"put"},
    "/api/v1/overflow/status/{center}": {"get"},
    "/api/v1/staffing/{center}": {"get"},
    "/api/v1/urgent-reports": {"get", "post"},
    "/api/v1/urgent-reports/{report_id}": {"get"},
    "/api/v1/urgent-reports/{report_id}/acknowledge": {"post"},
    # quality spot checks (hotline/quality/api.py)
    "/api/v1/quality/samples": {"post"},
    "/api/v1/quality/items": {"get"},
    "/api/v1/quality/items/{item_id}": {"get"},
    "/api/v1/quality/items/{item_id}/score": {"post"},
    "/api/v1/quality/items/{item_id}/appeal": {"post"},
    "/api/v1/quality/items/{item_id}/decide": {"post"},
    "/api/v1/quality/me": {"get"},
    "/api/v1/quality/monthly": {"get"},
    # special topics and citizen marks (hotline/topics/api.py)
    "/api/v1/topics": {"get", "post"},
    "/api/v1/topics/{topic_id}": {"get"},
    "/api/v1/topics/{topic_id}/tickets": {"get"},
    "/api/v1/tickets/{number}/marks": {"get", "post"},
    "/api/v1/tickets/{number}/personal-data": {"post"},
    "/api/v1/audit/personal-data-views": {"get"},
}


def test_openapi_lists_every_path_with_its_methods(client, province):
    response = client.get(url("/openapi.json"))

    assert response.status_code == 200
    doc = response.json()
    assert {path: set(ops) for path, ops in doc["paths"].items()} == PATHS
    assert doc["info"]["title"] == "12345 一张网 API"
    # SystemSignature: the HMAC of connected systems (hotline/exchange/api.py)
    assert set(doc["components"]["securitySchemes"]) == {
        "TokenAuth",
        "SessionAuth",
        "SystemSignature",
    }
    assert doc["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_openapi_documents_the_error_shape(client, province):
    doc = client.get(url("/openapi.json")).json()

    accept = doc["paths"]["/api/v1/tickets/{number}/accept"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(accept)
    assert set(doc["components"]["schemas"]["ErrorOut"]["properties"]) == {
        "code",
        "field",
        "message_zh",
        "message_en",
    }


def test_docs_page_answers(client, province):
    response = client.get(url("/docs"))

    assert response.status_code == 200
    assert "12345 一张网 API" in response.content.decode()
    assert "/api/v1/openapi.json" in response.content.decode()


def test_timeline_events_match_the_stored_history(client, province):
    t = ticket_in(province, "return_requested")
    client.force_login(province.users["fz_dispatcher"])

    detail = client.get(url(f"/tickets/{t.number}")).json()

    stored = list(TicketEvent.objects.filter(ticket=t).order_by("seq").values_list("seq", "action"))
    assert [(e["seq"], e["action"]) for e in detail["timeline"]] == stored
    assert detail["timeline"][-1]["action_label"] == "申请退单"
    assert detail["timeline"][-1]["data"] == {"reason": "不属于本单位职责范围"}


def test_approval_without_a_body_is_accepted(client, province):
    from hotline.tickets.models import Status
    from tests.tickets.factory import ticket_at

    t = ticket_at(province, Status.REPLIED)
    client.force_login(province.users["fz_reviewer"])
    response = client.post(
        f"/api/v1/tickets/{t.number}/reply/approve", content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "reviewed"


def test_unknown_api_path_answers_in_the_error_shape(client, province):
    client.force_login(province.users["fz_agent"])
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["message_zh"] == "接口不存在"


def test_a_new_ticket_is_answered_as_the_schema_answers_it_again(client, province):
    # The 201 of a new ticket is rendered without TicketOut's validation (its cost); the 200
    # of a repeated external reference goes through it: both bodies must be the same.
    client.force_login(province.users["fz_agent"])
    first = post(client, "/tickets", {**DEMAND, "citizen_name": "李四", "confidential": True})

    again = post(client, "/tickets", {**DEMAND, "citizen_name": "李四", "confidential": True})

    assert (first.status_code, again.status_code) == (201, 200)
    assert first["Content-Type"] == again["Content-Type"]
    assert first.json() == again.json()
    assert first.json()["created_at"].endswith("Z") and first.json()["center"]["code"]
