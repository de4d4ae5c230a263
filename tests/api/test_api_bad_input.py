"""Rule 7 through HTTP: bad input gets a clear 4xx with the field and both messages, and
changes nothing — no ticket, no event, no request, no assignment, no status."""

import base64
import re

import pytest
from django.test import Client

from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .helpers import assert_error, post, snapshot, ticket_in, url, xm_ticket

pytestmark = pytest.mark.django_db

LONG_1001 = "长" * 1001
UNKNOWN_NUMBER = "35010020990101999999"

# ---- transitions -----------------------------------------------------------------------------
# (id, path, state where the action is legal, rightful actor, bad body, status, field)
TRANSITIONS = [
    ("accept-note-too-long", "accept", "registered", "fz_agent", {"note": LONG_1001}, 422, "note"),
    ("accept-note-wrong-type", "accept", "registered", "fz_agent", {"note": 42}, 422, "note"),
    ("invalid-reason-missing", "invalid", "registered", "fz_agent", {}, 422, "reason"),
    ("invalid-reason-empty", "invalid", "registered", "fz_agent", {"reason": ""}, 422, "reason"),
    ("invalid-reason-blank", "invalid", "registered", "fz_agent", {"reason": "   "}, 400, "reason"),
    (
        "invalid-reason-too-long",
        "invalid",
        "registered",
        "fz_agent",
        {"reason": LONG_1001},
        422,
        "reason",
    ),
    (
        "invalid-reason-too-short",
        "invalid",
        "registered",
        "fz_agent",
        {"reason": "长"},
        422,
        "reason",
    ),
    (
        "dispatch-to_unit-missing",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {},
        422,
        "to_unit",
    ),
    (
        "dispatch-to_unit-unknown",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "no_such_unit"},
        400,
        "to_unit",
    ),
    (
        "dispatch-to_unit-wrong-type",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": ["gl_housing"]},
        422,
        "to_unit",
    ),
    (
        "dispatch-to_unit-outside-the-region",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "xm_housing"},
        400,
        "to_unit",
    ),
    (
        "dispatch-to_unit-is-the-center-itself",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "fz"},
        400,
        "to_unit",
    ),
    (
        "dispatch-assisting-unknown",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "gl_housing", "assisting": ["gl_town", "no_such_unit"]},
        400,
        "assisting",
    ),
    (
        "dispatch-assisting-not-a-list",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "gl_housing", "assisting": "gl_town"},
        422,
        "assisting",
    ),
    (
        "dispatch-assisting-item-wrong-type",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "gl_housing", "assisting": [7]},
        422,
        "assisting.0",
    ),
    (
        "dispatch-assisting-too-many",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "gl_housing", "assisting": ["gl_town"] * 21},
        422,
        "assisting",
    ),
    (
        "dispatch-assisting-is-the-lead",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "gl_housing", "assisting": ["gl_housing"]},
        400,
        "assisting",
    ),
    (
        "dispatch-note-too-long",
        "dispatch",
        "pending_dispatch",
        "fz_dispatcher",
        {"to_unit": "gl_housing", "note": LONG_1001},
        422,
        "note",
    ),
    (
        "sub-dispatch-to_unit-missing",
        "sub-dispatch",
        "in_progress",
        "gl_housing_handler",
        {},
        422,
        "to_unit",
    ),
    (
        "sub-dispatch-to_unit-unknown",
        "sub-dispatch",
        "in_progress",
        "gl_housing_handler",
        {"to_unit": "no_such_unit"},
        400,
        "to_unit",
    ),
    (
        "sub-dispatch-to_unit-not-below",
        "sub-dispatch",
        "in_progress",
        "gl_housing_handler",
        {"to_unit": "tj_housing"},
        400,
        "to_unit",
    ),
    (
        "sub-dispatch-to_unit-too-long",
        "sub-dispatch",
        "in_progress",
        "gl_housing_handler",
        {"to_unit": "u" * 33},
        422,
        "to_unit",
    ),
    ("return-reason-missing", "return", "in_progress", "gl_housing_handler", {}, 422, "reason"),
    (
        "return-reason-too-short",
        "return",
        "in_progress",
        "gl_housing_handler",
        {"reason": "不对"},
        422,
        "reason",
    ),
    (
        "return-reason-too-long",
        "return",
        "in_progress",
        "gl_housing_handler",
        {"reason": LONG_1001},
        422,
        "reason",
    ),
    (
        "return-approve-note-too-long",
        "return/approve",
        "return_requested",
        "fz_dispatcher",
        {"note": LONG_1001},
        422,
        "note",
    ),
    (
        "return-approve-note-wrong-type",
        "return/approve",
        "return_requested",
        "fz_dispatcher",
        {"note": ["同意"]},
        422,
        "note",
    ),
    (
        "return-reject-reason-missing",
        "return/reject",
        "return_requested",
        "fz_dispatcher",
        {},
        422,
        "reason",
    ),
    (
        "extension-days-missing",
        "extension",
        "in_progress",
        "gl_housing_handler",
        {"reason": "需协调多个部门"},
        422,
        "days",
    ),
    (
        "extension-days-wrong-type",
        "extension",
        "in_progress",
        "gl_housing_handler",
        {"days": "两天", "reason": "需协调多个部门"},
        422,
        "days",
    ),
    (
        "extension-days-zero",
        "extension",
        "in_progress",
        "gl_housing_handler",
        {"days": 0, "reason": "需协调多个部门"},
        422,
        "days",
    ),
    (
        "extension-days-over-the-schema",
        "extension",
        "in_progress",
        "gl_housing_handler",
        {"days": 31, "reason": "需协调多个部门"},
        422,
        "days",
    ),
    (
        "extension-days-over-the-policy",
        "extension",
        "in_progress",
        "gl_housing_handler",
        {"days": 10, "reason": "需协调多个部门"},
        400,
        "days",
    ),
    (
        "extension-reason-missing",
        "extension",
        "in_progress",
        "gl_housing_handler",
        {"days": 2},
        422,
        "reason",
    ),
    (
        "extension-approve-note-too-long",
        "extension/approve",
        "extension_pending",
        "fz_dispatcher",
        {"note": LONG_1001},
        422,
        "note",
    ),
    (
        "extension-reject-reason-missing",
        "extension/reject",
        "extension_pending",
        "fz_dispatcher",
        {},
        422,
        "reason",
    ),
    ("reply-body-missing", "reply", "in_progress", "gl_housing_handler", {}, 422, "body"),
    (
        "reply-body-wrong-type",
        "reply",
        "in_progress",
        "gl_housing_handler",
        {"body": 5},
        422,
        "body",
    ),
    (
        "reply-body-too-short",
        "reply",
        "in_progress",
        "gl_housing_handler",
        {"body": "好的"},
        422,
        "body",
    ),
    (
        "reply-body-too-long",
        "reply",
        "in_progress",
        "gl_housing_handler",
        {"body": "长" * 5001},
        422,
        "body",
    ),
    (
        "reply-approve-note-too-long",
        "reply/approve",
        "replied",
        "fz_reviewer",
        {"note": LONG_1001},
        422,
        "note",
    ),
    ("reply-reject-reason-missing", "reply/reject", "replied", "fz_reviewer", {}, 422, "reason"),
    (
        "reply-reject-reason-too-short",
        "reply/reject",
        "replied",
        "fz_reviewer",
        {"reason": "差"},
        422,
        "reason",
    ),
    (
        "callback-satisfaction-missing",
        "callback",
        "reviewed",
        "fz_callback",
        {"resolved": True},
        422,
        "satisfaction",
    ),
    (
        "callback-satisfaction-bad-enum",
        "callback",
        "reviewed",
        "fz_callback",
        {"satisfaction": "happy", "resolved": True},
        422,
        "satisfaction",
    ),
    (
        "callback-resolved-wrong-type",
        "callback",
        "reviewed",
        "fz_callback",
        {"satisfaction": "satisfied", "resolved": "也许"},
        422,
        "resolved",
    ),
    (
        "callback-note-too-long",
        "callback",
        "reviewed",
        "fz_callback",
        {"satisfaction": "satisfied", "note": "长" * 2001},
        422,
        "note",
    ),
    ("close-reason-missing", "close", "reviewed", "fz_callback", {}, 422, "reason"),
    ("reopen-reason-missing", "reopen", "closed", "fz_callback", {}, 422, "reason"),
    ("reopen-reason-too-short", "reopen", "closed", "fz_callback", {"reason": "再"}, 422, "reason"),
    ("merge-into-missing", "merge", "pending_dispatch", "fz_dispatcher", {}, 422, "into"),
    (
        "merge-into-unknown-number",
        "merge",
        "pending_dispatch",
        "fz_dispatcher",
        {"into": UNKNOWN_NUMBER},
        400,
        "into",
    ),
    (
        "merge-into-too-long",
        "merge",
        "pending_dispatch",
        "fz_dispatcher",
        {"into": "3" * 25},
        422,
        "into",
    ),
    (
        "merge-into-wrong-type",
        "merge",
        "pending_dispatch",
        "fz_dispatcher",
        {"into": {"number": UNKNOWN_NUMBER}},
        422,
        "into",
    ),
    ("supervise-reason-missing", "supervise", "in_progress", "fz_supervisor", {}, 422, "reason"),
    (
        "supervise-level-bad-enum",
        "supervise",
        "in_progress",
        "fz_supervisor",
        {"reason": "群众反映强烈", "level": "city"},
        422,
        "level",
    ),
]


@pytest.mark.parametrize(
    ("path", "state", "actor", "body", "status", "field"),
    [case[1:] for case in TRANSITIONS],
    ids=[case[0] for case in TRANSITIONS],
)
def test_bad_transition_input_is_refused_with_the_field_and_changes_nothing(
    client, province, path, state, actor, body, status, field
):
    # given a ticket in the state where the action is legal, and its rightful actor
    t = ticket_in(province, state)
    before = snapshot(t)
    client.force_login(province.users[actor])

    # when the actor sends a bad body
    response = post(client, f"/tickets/{t.number}/{path}", body)

    # then it is a clear 4xx naming the field, and nothing changed
    assert_error(response, status, "validation_error", field)
    assert snapshot(t) == before


def test_merge_into_itself_is_refused_and_changes_nothing(client, province):
    t = ticket_in(province, "pending_dispatch")
    before = snapshot(t)
    client.force_login(province.users["fz_dispatcher"])

    response = post(client, f"/tickets/{t.number}/merge", {"into": t.number})

    assert_error(response, 400, "validation_error", "into")
    assert snapshot(t) == before


def test_merge_into_a_ticket_outside_the_scope_is_an_unknown_number(client, province):
    # given a 福州 ticket and a 厦门 ticket the 福州 dispatcher cannot see
    t = ticket_in(province, "pending_dispatch")
    xiamen = xm_ticket(province)
    before = snapshot(t)
    client.force_login(province.users["fz_dispatcher"])

    # when the dispatcher merges into the 厦门 ticket
    response = post(client, f"/tickets/{t.number}/merge", {"into": xiamen.number})

    # then it is refused as unknown, naming `into`, and nothing changed
    body = assert_error(response, 400, "validation_error", "into")
    assert xiamen.number in body["message_en"]
    assert snapshot(t) == before


@pytest.mark.parametrize(
    "raw",
    ["{not json", '{"note": ', "\xff\xfe"],
    ids=["broken-object", "truncated", "not-utf8"],
)
def test_unparsable_json_body_is_400_and_changes_nothing(client, province, raw):
    t = ticket_in(province, "registered")
    before = snapshot(t)
    client.force_login(province.users["fz_agent"])

    response = client.post(url(f"/tickets/{t.number}/accept"), raw, content_type="application/json")

    assert_error(response, 400, "validation_error", None)
    assert snapshot(t) == before


def test_missing_body_where_a_field_is_required_is_422_and_changes_nothing(client, province):
    t = ticket_in(province, "in_progress")
    before = snapshot(t)
    client.force_login(province.users["gl_housing_handler"])

    response = client.post(url(f"/tickets/{t.number}/reply"), "", content_type="application/json")

    assert_error(response, 422, "validation_error", None)
    assert snapshot(t) == before


# ---- registration ------------------------------------------------------------------------------

GOOD_DEMAND = {
    "channel": "web",
    "appeal_type": "complaint",
    "title": "小区电梯长期故障",
    "content": "鼓楼区某小区3号楼电梯停运两周，物业不修。",
    "citizen_name": "张三",
    "citizen_phone": "13800000001",
    "region": "350102",
}


def _without(key):
    return {k: v for k, v in GOOD_DEMAND.items() if k != key}


# (id, body, status, field)
REGISTRATIONS = [
    ("channel-missing", _without("channel"), 422, "channel"),
    ("appeal_type-missing", _without("appeal_type"), 422, "appeal_type"),
    ("title-missing", _without("title"), 422, "title"),
    ("content-missing", _without("content"), 422, "content"),
    ("channel-bad-enum", {**GOOD_DEMAND, "channel": "fax"}, 422, "channel"),
    ("appeal_type-bad-enum", {**GOOD_DEMAND, "appeal_type": "rant"}, 422, "appeal_type"),
    ("urgency-bad-enum", {**GOOD_DEMAND, "urgency": "asap"}, 422, "urgency"),
    ("title-empty", {**GOOD_DEMAND, "title": ""}, 422, "title"),
    ("title-blank", {**GOOD_DEMAND, "title": "   "}, 400, "title"),
    ("title-too-long", {**GOOD_DEMAND, "title": "长" * 201}, 422, "title"),
    ("content-too-long", {**GOOD_DEMAND, "content": "长" * 5001}, 422, "content"),
    ("citizen_name-too-long", {**GOOD_DEMAND, "citizen_name": "名" * 65}, 422, "citizen_name"),
    (
        "citizen_phone-not-a-phone",
        {**GOOD_DEMAND, "citizen_phone": "call me"},
        400,
        "citizen_phone",
    ),
    ("citizen_phone-too-long", {**GOOD_DEMAND, "citizen_phone": "1" * 21}, 422, "citizen_phone"),
    ("anonymous-wrong-type", {**GOOD_DEMAND, "anonymous": "有时"}, 422, "anonymous"),
    ("title-wrong-type", {**GOOD_DEMAND, "title": 12345}, 422, "title"),
    ("latitude-wrong-type", {**GOOD_DEMAND, "latitude": "北纬"}, 422, "latitude"),
    ("latitude-out-of-range", {**GOOD_DEMAND, "latitude": 91}, 422, "latitude"),
    ("longitude-out-of-range", {**GOOD_DEMAND, "longitude": -181}, 422, "longitude"),
    ("category-unknown", {**GOOD_DEMAND, "category": "999999"}, 400, "category"),
    ("category-too-long", {**GOOD_DEMAND, "category": "0" * 17}, 422, "category"),
    ("region-unknown", {**GOOD_DEMAND, "region": "359999"}, 400, "region"),
    ("region-outside-the-center", {**GOOD_DEMAND, "region": "350203"}, 400, "region"),
    ("region-too-long", {**GOOD_DEMAND, "region": "3" * 13}, 422, "region"),
    ("center_code-not-the-agents", {**GOOD_DEMAND, "center_code": "xm"}, 400, "center_code"),
    ("center_code-unknown", {**GOOD_DEMAND, "center_code": "nowhere"}, 400, "center_code"),
    ("external_ref-too-long", {**GOOD_DEMAND, "external_ref": "R" * 65}, 422, "external_ref"),
]


@pytest.fixture
def categories(db):
    from hotline.catalog.services import load_categories

    load_categories()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [case[1:] for case in REGISTRATIONS],
    ids=[case[0] for case in REGISTRATIONS],
)
def test_bad_registration_is_refused_with_the_field_and_registers_nothing(
    client, province, categories, body, status, field
):
    # given an agent of the 福州 center and the category tree
    before = snapshot()
    client.force_login(province.users["fz_agent"])

    # when the agent registers a bad demand
    response = post(client, "/tickets", body)

    # then it is a clear 4xx naming the field, and no ticket nor event was made
    assert_error(response, status, "validation_error", field)
    assert snapshot() == before


def test_good_demand_of_the_bad_input_table_registers(client, province, categories):
    """The control: the table's base body is valid, so each case fails for its own field."""
    client.force_login(province.users["fz_agent"])

    response = post(client, "/tickets", {**GOOD_DEMAND, "category": "0101"})

    assert response.status_code == 201, response.content.decode()
    assert response.json()["category"] == "0101"


GOOD_RESOLVE = {
    **GOOD_DEMAND,
    "channel": "phone",
    "appeal_type": "consult",
    "reply": "可携带身份证到社保窗口办理。",
}
RESOLUTIONS = [
    ("reply-missing", {k: v for k, v in GOOD_RESOLVE.items() if k != "reply"}, 422, "reply"),
    ("reply-too-long", {**GOOD_RESOLVE, "reply": "长" * 5001}, 422, "reply"),
    ("reply-blank", {**GOOD_RESOLVE, "reply": "  "}, 400, "reply"),
    ("article-too-long", {**GOOD_RESOLVE, "article": "长" * 201}, 422, "article"),
    ("channel-bad-enum", {**GOOD_RESOLVE, "channel": "fax"}, 422, "channel"),
    ("category-unknown", {**GOOD_RESOLVE, "category": "999999"}, 400, "category"),
    ("region-unknown", {**GOOD_RESOLVE, "region": "359999"}, 400, "region"),
]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [pytest.param(*case[1:], id=case[0]) for case in RESOLUTIONS],
)
def test_bad_resolution_at_intake_is_refused_and_registers_nothing(
    client, province, categories, body, status, field
):
    before = snapshot()
    client.force_login(province.users["fz_agent"])

    response = post(client, "/tickets/resolve-at-intake", body)

    assert_error(response, status, "validation_error", field)
    assert snapshot() == before


# ---- list filters ------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


# (id, query, status, field)
FILTERS = [
    ("status-bogus", {"status": "bogus"}, 422, "status.0"),
    ("status-second-bogus", {"status": ["closed", "bogus"]}, 422, "status.1"),
    ("limit-zero", {"limit": "0"}, 422, "limit"),
    ("limit-1000", {"limit": "1000"}, 422, "limit"),
    ("limit-not-a-number", {"limit": "ten"}, 422, "limit"),
    ("appeal_type-bogus", {"appeal_type": "rant"}, 422, "appeal_type"),
    ("urgency-bogus", {"urgency": "asap"}, 422, "urgency"),
    ("channel-bogus", {"channel": "fax"}, 422, "channel"),
    ("overdue-not-a-boolean", {"overdue": "maybe"}, 422, "overdue"),
    ("created_from-not-a-date", {"created_from": "yesterday"}, 422, "created_from"),
    ("created_to-impossible-date", {"created_to": "2025-02-30"}, 422, "created_to"),
    ("q-too-long", {"q": "查" * 101}, 422, "q"),
    ("unit-unknown", {"unit": "no_such_unit"}, 400, "unit"),
    ("unit-too-long", {"unit": "u" * 33}, 422, "unit"),
    ("region-unknown", {"region": "359999"}, 400, "region"),
    ("category-unknown", {"category": "999999"}, 400, "category"),
    ("cursor-not-base64", {"cursor": "!!!"}, 400, "cursor"),
    ("cursor-bad-padding", {"cursor": "abc"}, 400, "cursor"),
    ("cursor-not-a-number", {"cursor": _b64("abc")}, 400, "cursor"),
    ("cursor-not-utf8", {"cursor": base64.urlsafe_b64encode(b"\xff\xfe").decode()}, 400, "cursor"),
    ("cursor-too-long", {"cursor": "A" * 65}, 422, "cursor"),
]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [case[1:] for case in FILTERS],
    ids=[case[0] for case in FILTERS],
)
def test_bad_list_filter_is_refused_with_the_field(
    client, province, categories, query, status, field
):
    ticket_at(province, Status.REGISTERED)
    client.force_login(province.users["fz_dispatcher"])

    response = client.get(url("/tickets"), query)

    assert_error(response, status, "validation_error", field)


def test_cursor_beyond_any_id_lists_from_the_newest(client, province):
    # given one ticket, and a cursor holding a number larger than any database integer
    t = ticket_at(province, Status.REGISTERED)
    client.force_login(province.users["fz_dispatcher"])

    # when it is used
    response = client.get(url("/tickets"), {"cursor": _b64("9" * 40)})

    # then the list starts from the newest ticket (no server error)
    assert response.status_code == 200
    assert [i["number"] for i in response.json()["items"]] == [t.number]


# ---- rule 7 in full: every message in Chinese and English ---------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_unparsable_body_message_is_in_chinese(client, province):
    t = ticket_in(province, "registered")
    client.force_login(province.users["fz_agent"])

    response = client.post(
        url(f"/tickets/{t.number}/accept"), "{not json", content_type="application/json"
    )

    body = assert_error(response, 400, "validation_error", None)
    assert CJK.search(body["message_zh"])


def test_session_post_without_csrf_token_is_refused_and_changes_nothing(province):
    # given a browser session that does not send the CSRF token
    t = ticket_in(province, "registered")
    before = snapshot(t)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(province.users["fz_agent"])

    # when it posts a transition
    response = post(browser, f"/tickets/{t.number}/accept", {"note": ""})

    # then it is refused with the error shape, and nothing changed
    assert_error(response, 403, ...)
    assert snapshot(t) == before


def test_csrf_refusal_is_forbidden_with_a_chinese_message(province):
    t = ticket_in(province, "registered")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(province.users["fz_agent"])

    response = post(browser, f"/tickets/{t.number}/accept", {"note": ""})

    body = assert_error(response, 403, "forbidden", None)
    assert CJK.search(body["message_zh"])
