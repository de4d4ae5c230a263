"""The screening API: permissions, scope (404 outside it) and bad input, endpoint by endpoint."""

import pytest

from hotline.screening.models import LexiconVersion, PoliceHandover, ReplyReview
from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from tests.api.helpers import assert_error, post, url
from tests.tickets.factory import demand, ticket_at

THREAT = "再不解决，我就跳 楼！"


@pytest.fixture
def red(province):
    t, _ = lifecycle.register(by=province.users["fz_agent"], data=demand(content=THREAT))
    return t


def as_user(client, province, name):
    client.force_login(province.users[name])
    return client


# ---- screen a text ------------------------------------------------------------------------


def test_screen_a_text(client, province):
    r = post(as_user(client, province, "fz_agent"), "/screening/screen", {"content": THREAT})

    assert r.status_code == 200
    body = r.json()
    assert body["risk"] == "red"
    assert body["flags"] == ["threat"]
    assert body["hits"][0]["term"] == "跳楼"
    assert body["hits"][0]["evasion"] == "split"


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "content"), ({"content": ""}, "content"), ({"content": "长" * 5001}, "content"),
     ({"content": "x", "title": 5}, "title")],
    ids=["missing", "empty", "too-long", "title-not-text"],
)  # fmt: skip
def test_screen_bad_input(client, province, body, field):
    r = post(as_user(client, province, "fz_agent"), "/screening/screen", body)

    assert_error(r, 422, "validation_error", field)


def test_screen_needs_login(client, province):
    assert_error(post(client, "/screening/screen", {"content": "x"}), 401, "not_authenticated")


# ---- a ticket's risk, duplicates, reply check ---------------------------------------------


@pytest.mark.parametrize("path", ["risk", "duplicates"], ids=["risk", "duplicates"])
def test_ticket_reads_are_404_outside_scope(client, province, red, path):
    r = as_user(client, province, "xm_agent").get(url(f"/screening/tickets/{red.number}/{path}"))

    assert_error(r, 404, "not_found", None)


def test_ticket_risk_in_scope(client, province, red):
    r = as_user(client, province, "fz_supervisor").get(url(f"/screening/tickets/{red.number}/risk"))

    assert r.status_code == 200
    body = r.json()
    assert (body["risk"], body["urgency"]) == ("red", "critical")
    assert [a["kind"] for a in body["alerts"]] == ["red_demand"]


def test_ticket_duplicates_in_scope(client, province, red):
    again, _ = lifecycle.register(by=province.users["fz_agent"], data=demand(content=THREAT))
    r = as_user(client, province, "fz_agent").get(
        url(f"/screening/tickets/{again.number}/duplicates")
    )

    assert r.status_code == 200
    assert [d["number"] for d in r.json()["near_duplicates"]] == [red.number]
    assert [d["number"] for d in r.json()["same_caller"]] == [red.number]


def test_reply_check(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    c = as_user(client, province, "gl_housing_handler")

    r = post(c, f"/screening/tickets/{t.number}/reply-check", {"body": "网友：您好！留言已收悉"})

    assert r.status_code == 200
    assert r.json()["verdict"] == "block"
    assert [x["code"] for x in r.json()["reasons"]] == ["ack_only"]
    assert not ReplyReview.objects.exists()
    assert_error(
        post(c, f"/screening/tickets/{t.number}/reply-check", {}), 422, "validation_error", "body"
    )


def test_reply_check_is_404_outside_scope(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    r = post(
        as_user(client, province, "tj_housing_handler"),
        f"/screening/tickets/{t.number}/reply-check",
        {"body": "好的好的好的"},
    )

    assert_error(r, 404, "not_found", None)


def test_reply_review_by_the_reviewer_only(client, province):
    t = ticket_at(province, Status.REPLIED)
    path = f"/screening/tickets/{t.number}/reply-review"

    assert_error(post(as_user(client, province, "fz_agent"), path), 403, "forbidden", None)
    assert_error(post(as_user(client, province, "xm_agent"), path), 404, "not_found", None)
    r = post(as_user(client, province, "fz_reviewer"), path)
    assert r.status_code == 201
    assert r.json()["verdict"] == "pass"


def test_reply_review_needs_a_reply(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    r = post(
        as_user(client, province, "fz_reviewer"), f"/screening/tickets/{t.number}/reply-review"
    )

    assert_error(r, 409, "illegal_transition", "status")


def test_blocked_reply_through_the_tickets_api_is_400_with_the_reason(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    r = post(as_user(client, province, "gl_housing_handler"), f"/tickets/{t.number}/reply",
             {"body": "您好，您的留言已收悉。"})  # fmt: skip

    body = assert_error(r, 400, "validation_error", "body")
    assert "收悉" in body["message_zh"]
    t.refresh_from_db()
    assert t.status == Status.IN_PROGRESS


# ---- board, repeats, hand-over ------------------------------------------------------------


def test_risk_board_is_scoped(client, province, red):
    fz = as_user(client, province, "fz_supervisor").get(url("/screening/risk-board"))
    xm = as_user(client, province, "xm_agent").get(url("/screening/risk-board"))

    assert [r["number"] for r in fz.json()] == [red.number]
    assert xm.json() == []


def test_repeats_are_scoped(client, province):
    for _ in range(3):
        lifecycle.register(by=province.users["fz_agent"], data=demand())

    fz = as_user(client, province, "fz_agent").get(url("/screening/repeats"))
    xm = as_user(client, province, "xm_agent").get(url("/screening/repeats"))

    assert [c["count"] for c in fz.json()] == [3]
    assert xm.json() == []


HANDOVER = {
    "police_unit": "福州市公安局鼓楼分局",
    "contact": "王警官 0591-0000000",
    "summary": "来电人扬言跳楼，已告知地址",
}


def test_handover_is_recorded(client, province, red):
    r = post(
        as_user(client, province, "fz_supervisor"),
        f"/screening/tickets/{red.number}/handover",
        HANDOVER,
    )

    assert r.status_code == 201
    h = PoliceHandover.objects.get()
    assert (h.ticket, h.handed_by, h.handed_unit) == (
        red,
        province.users["fz_supervisor"],
        province.units["fz"],
    )


def test_handover_permissions_and_scope(client, province):
    t = ticket_at(province, Status.IN_PROGRESS, content=THREAT)
    path = f"/screening/tickets/{t.number}/handover"

    assert_error(
        post(as_user(client, province, "gl_housing_handler"), path, HANDOVER),
        403,
        "forbidden",
        None,
    )
    assert_error(
        post(as_user(client, province, "xm_agent"), path, HANDOVER), 404, "not_found", None
    )
    assert not PoliceHandover.objects.exists()


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [({"summary": "短"}, 400, "summary"), ({"police_unit": " "}, 400, "police_unit"),
     ({"contact": None}, 422, "contact")],
    ids=["summary-too-short", "unit-blank", "contact-null"],
)  # fmt: skip
def test_handover_bad_input(client, province, red, change, status, field):
    r = post(
        as_user(client, province, "fz_agent"),
        f"/screening/tickets/{red.number}/handover",
        HANDOVER | change,
    )

    assert_error(r, status, ..., field)
    assert not PoliceHandover.objects.exists()


# ---- lexicon ------------------------------------------------------------------------------


def test_lexicon_edit_by_admin(client, province):
    c = as_user(client, province, "admin")
    r = post(c, "/screening/lexicon", {"changes": [{"term": "讨说法", "category": "collective"}]})

    assert r.status_code == 201
    assert r.json()["version"] == 2
    assert post(c, "/screening/screen", {"content": "我们去讨说法"}).json()["risk"] == "orange"
    listed = c.get(url("/screening/lexicon?category=collective")).json()
    assert "讨说法" in [t["term"] for t in listed["terms"]]


def test_lexicon_is_for_admins(client, province):
    c = as_user(client, province, "fz_agent")

    assert_error(c.get(url("/screening/lexicon")), 403, "forbidden", None)
    assert_error(
        post(c, "/screening/lexicon", {"changes": [{"term": "讨说法", "category": "media"}]}),
        403,
        "forbidden",
        None,
    )


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [({"changes": []}, 422, "changes"),
     ({"changes": [{"term": "讨说法", "category": "nope"}]}, 422, "changes.0.category"),
     ({"changes": [{"term": "讨", "category": "media"}]}, 400, "term"),
     ({"changes": [{"term": "讨说法", "category": "media", "level": "purple"}]}, 422, "changes.0.level"),
     ({"changes": [{"term": "从没有过", "category": "media", "active": False}]}, 404, "changes.0")],
    ids=["empty", "bad-category", "too-short", "bad-level", "deactivate-unknown"],
)  # fmt: skip
def test_lexicon_bad_input_changes_nothing(client, province, body, status, field):
    c = as_user(client, province, "admin")
    c.get(url("/screening/lexicon"))  # seeds version 1
    r = post(c, "/screening/lexicon", body)

    assert_error(r, status, ..., field)
    assert LexiconVersion.objects.count() == 1
