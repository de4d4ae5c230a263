"""分管领导审批: in a unit that sets `leader_approval`, a handler's reply, extension request
and return request wait for the unit's leader; the leader approves (the transition then
runs) or sends them back. Lifecycle, API and workbench pages, with their permissions."""

import pytest

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.tickets import history, lifecycle
from hotline.tickets.models import (
    ApprovalState,
    LeaderApproval,
    RequestKind,
    RequestState,
    Status,
)
from tests.api.helpers import assert_error, post
from tests.web.helpers import as_user

from .factory import ticket_at

pytestmark = pytest.mark.django_db

BODY = "经现场核查，已责令物业公司三日内完成整改，并跟踪落实。"


@pytest.fixture
def approving(province):
    """福州市住建局 with leader approval switched on; a ticket of it in progress."""
    unit = province.units["fz_housing"]
    unit.leader_approval = True
    unit.save(update_fields=["leader_approval"])
    return ticket_at(province, Status.IN_PROGRESS, lead="fz_housing")


def users(province):
    u = province.users
    return u["fz_housing_handler"], u["fz_housing_leader"]


def actions(t):
    return list(t.events.order_by("seq").values_list("action", flat=True))


# ---- lifecycle ----------------------------------------------------------------------------


def test_a_handlers_reply_waits_for_the_leader_then_goes_out(province, approving):
    handler, leader = users(province)
    t = lifecycle.reply(ticket=approving, by=handler, body=BODY)
    assert t.status == Status.IN_PROGRESS and t.reply == ""
    held = lifecycle.pending_approval(t)
    assert (held.action, held.payload, held.submitted_by) == ("reply", {"body": BODY}, handler)
    assert actions(t)[-1] == "submit_to_leader"

    t = lifecycle.leader_approve(ticket=t, by=leader, note="同意")
    assert t.status == Status.REPLIED and t.reply == BODY
    assert actions(t)[-2:] == ["leader_approve", "reply"]
    held.refresh_from_db()
    assert (held.state, held.decided_by, held.decision_note) == ("approved", leader, "同意")
    assert lifecycle.pending_approval(t) is None
    assert history.verify(t).ok


def test_the_leader_sends_a_reply_back_and_the_handler_submits_again(province, approving):
    handler, leader = users(province)
    lifecycle.reply(ticket=approving, by=handler, body=BODY)
    t = lifecycle.leader_reject(ticket=approving, by=leader, reason="请补充整改期限")
    assert t.status == Status.IN_PROGRESS and t.reply == ""
    assert LeaderApproval.objects.get().state == ApprovalState.REJECTED
    assert actions(t)[-1] == "leader_reject"
    lifecycle.reply(ticket=t, by=handler, body=BODY + "整改期限为本月底。")
    assert LeaderApproval.objects.filter(state=ApprovalState.PENDING).count() == 1


def test_the_submitter_withdraws_and_submits_a_corrected_reply(client, province, approving):
    handler, leader = users(province)
    lifecycle.reply(ticket=approving, by=handler, body=BODY)
    with pytest.raises(Forbidden):  # the leader decides; only the submitter withdraws
        lifecycle.withdraw_submission(ticket=approving, by=leader)
    t = lifecycle.withdraw_submission(ticket=approving, by=handler)
    assert LeaderApproval.objects.get().state == ApprovalState.WITHDRAWN
    assert actions(t)[-1] == "withdraw_submission" and t.status == Status.IN_PROGRESS
    with pytest.raises(IllegalTransition):
        lifecycle.withdraw_submission(ticket=t, by=handler)
    lifecycle.reply(ticket=t, by=handler, body=BODY + "另附整改照片。")
    n = t.number
    r = post(as_user(client, province, "fz_housing_handler"), f"/tickets/{n}/leader/withdraw")
    assert r.status_code == 200 and r.json()["pending_approval"] is None
    assert_error(
        post(as_user(client, province, "fz_housing_leader"), f"/tickets/{n}/leader/withdraw"), 409
    )
    page = as_user(client, province, "fz_housing_handler").get(f"/t/{n}/").content.decode()
    assert f"/t/{n}/withdraw_submission/" not in page  # nothing held any more


def test_extension_and_return_wait_too(province, approving):
    handler, leader = users(province)
    t = lifecycle.request_extension(ticket=approving, by=handler, days=2, reason="需协调多个部门")
    assert not t.requests.exists()  # the center sees nothing yet
    t = lifecycle.leader_approve(ticket=t, by=leader)
    req = t.requests.get()
    assert (req.kind, req.state, req.days) == (RequestKind.EXTENSION, RequestState.PENDING, 2)

    other = ticket_at(province, Status.IN_PROGRESS, lead="fz_housing", citizen_phone="13800000002")
    other = lifecycle.request_return(ticket=other, by=handler, reason="不属于本单位职责范围")
    assert other.status == Status.IN_PROGRESS
    other = lifecycle.leader_approve(ticket=other, by=leader)
    assert other.status == Status.RETURN_REQUESTED


def test_one_matter_at_a_time_and_the_leader_decides_it_first(province, approving):
    handler, leader = users(province)
    lifecycle.reply(ticket=approving, by=handler, body=BODY)
    for by in (handler, leader):
        with pytest.raises(IllegalTransition):
            lifecycle.request_extension(ticket=approving, by=by, days=2, reason="需协调多个部门")
        with pytest.raises(IllegalTransition):  # the held matter would be left behind
            lifecycle.sub_dispatch(ticket=approving, by=by, to_unit=province.units["fz_hrss"])
        with pytest.raises(IllegalTransition):
            lifecycle.reply(ticket=approving, by=by, body=BODY)
    assert LeaderApproval.objects.count() == 1


def test_the_leaders_own_reply_and_units_without_approval_go_straight_out(province, approving):
    _, leader = users(province)
    assert lifecycle.reply(ticket=approving, by=leader, body=BODY).status == Status.REPLIED
    plain = ticket_at(province, Status.IN_PROGRESS)  # 鼓楼区住建局: no approval
    t = lifecycle.reply(ticket=plain, by=province.users["gl_housing_handler"], body=BODY)
    assert t.status == Status.REPLIED
    assert not LeaderApproval.objects.exists()


def test_only_the_units_leader_decides(province, approving):
    handler, leader = users(province)
    lifecycle.reply(ticket=approving, by=handler, body=BODY)
    for name in ("fz_housing_handler", "fz_dispatcher", "fz_reviewer", "two_hats"):
        with pytest.raises(Forbidden):
            lifecycle.leader_approve(ticket=approving, by=province.users[name])
        with pytest.raises(Forbidden):
            lifecycle.leader_reject(ticket=approving, by=province.users[name], reason="不同意")
    assert LeaderApproval.objects.get().state == ApprovalState.PENDING


def test_nothing_to_decide_and_bad_input_change_nothing(province, approving):
    handler, leader = users(province)
    with pytest.raises(IllegalTransition):
        lifecycle.leader_approve(ticket=approving, by=leader)
    with pytest.raises(InvalidInput):
        lifecycle.reply(ticket=approving, by=handler, body="短")  # checked before it is held
    assert not LeaderApproval.objects.exists()
    lifecycle.reply(ticket=approving, by=handler, body=BODY)
    before = actions(approving)
    with pytest.raises(InvalidInput) as err:
        lifecycle.leader_reject(ticket=approving, by=leader, reason="")
    assert err.value.field == "reason"
    assert actions(approving) == before
    assert LeaderApproval.objects.get().state == ApprovalState.PENDING


def test_a_blocked_reply_is_refused_before_it_reaches_the_leader(province, approving):
    handler, _ = users(province)
    leak = "已处理。诉求人张三，电话13800000001，身份证号350102199001011234。"
    with pytest.raises(InvalidInput) as err:
        lifecycle.reply(ticket=approving, by=handler, body=leak)
    assert err.value.field == "body"
    assert not LeaderApproval.objects.exists()


def test_an_approval_the_ticket_no_longer_allows_changes_nothing(province, approving):
    handler, leader = users(province)
    lifecycle.reply(ticket=approving, by=handler, body=BODY)
    carrier = ticket_at(province, Status.PENDING_DISPATCH, citizen_phone="13800000003")
    lifecycle.merge(ticket=approving, into=carrier, by=province.users["fz_dispatcher"])
    before = actions(approving)
    with pytest.raises((IllegalTransition, Forbidden)):
        lifecycle.leader_approve(ticket=approving, by=leader)
    assert LeaderApproval.objects.get().state == ApprovalState.PENDING
    assert actions(approving) == before


# ---- API ------------------------------------------------------------------------------------


def test_api_submit_list_and_approve(client, province, approving):
    n = approving.number
    r = post(as_user(client, province, "fz_housing_handler"), f"/tickets/{n}/reply", {"body": BODY})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "in_progress"
    assert r.json()["pending_approval"]["action"] == "reply"

    leader = as_user(client, province, "fz_housing_leader")
    r = leader.get("/api/v1/approvals")
    assert r.status_code == 200
    [item] = r.json()
    assert (item["ticket"], item["action_label"], item["payload"]) == (n, "答复", {"body": BODY})
    r = post(leader, f"/tickets/{n}/leader/approve", {"note": "同意"})
    assert r.status_code == 200 and r.json()["status"] == "replied"
    assert r.json()["pending_approval"] is None
    assert leader.get("/api/v1/approvals").json() == []


def test_api_refusals(client, province, approving):
    n = approving.number
    post(as_user(client, province, "fz_housing_handler"), f"/tickets/{n}/reply", {"body": BODY})
    handler = as_user(client, province, "fz_housing_handler")
    assert_error(handler.get("/api/v1/approvals"), 403, "forbidden")
    assert_error(post(handler, f"/tickets/{n}/leader/approve"), 403, "forbidden")
    leader = as_user(client, province, "fz_housing_leader")
    assert_error(post(leader, f"/tickets/{n}/leader/reject", {}), 422, field="reason")
    # Another city's unit does not see the ticket at all.
    xm = as_user(client, province, "xm_housing_handler")
    for path in ("approve", "reject", "withdraw"):
        assert_error(post(xm, f"/tickets/{n}/leader/{path}", {"reason": "不同意"}), 404)
    assert LeaderApproval.objects.get().state == ApprovalState.PENDING


def test_the_list_holds_only_the_leaders_units(client, province, approving):
    post(as_user(client, province, "fz_housing_handler"), f"/tickets/{approving.number}/reply",
         {"body": BODY})  # fmt: skip
    r = as_user(client, province, "two_hats").get("/api/v1/approvals")  # leads 台江区住建局
    assert r.status_code == 200 and r.json() == []
    r = as_user(client, province, "fz_housing_leader").get("/api/v1/approvals")
    assert [a["ticket"] for a in r.json()] == [approving.number]


# ---- workbench pages ------------------------------------------------------------------------


def test_pages_show_the_held_matter_and_the_leaders_queue(client, province, approving):
    n = approving.number
    handler = as_user(client, province, "fz_housing_handler")
    r = handler.post(f"/t/{n}/reply/", {"body": BODY})
    page = r.content.decode()
    assert "已提交分管领导审批" in page and "等待分管领导审批" in page
    assert 'action="/t/' + n + '/reply/"' not in page  # no second reply while it waits
    assert f"/t/{n}/withdraw_submission/" in page  # the submitter may take it back
    assert handler.get("/approvals/").status_code == 404

    leader = as_user(client, province, "fz_housing_leader")
    queue = leader.get("/approvals/").content.decode()
    assert n in queue and "答复" in queue
    nav = leader.get("/nav/").content.decode()
    assert 'href="/approvals/"' in nav and "待审批<span" in nav  # the waiting count
    assert "考评" in nav  # a leader sees the unit's scorecard
    assert "福州市住建局" in leader.get("/evaluation/scorecards/").content.decode()
    page = leader.get(f"/t/{n}/").content.decode()
    assert "leader_approve" in page and "leader_reject" in page
    r = leader.post(f"/t/{n}/leader_approve/", {"note": ""})
    assert "已分管领导同意" in r.content.decode()
    assert n not in leader.get("/approvals/").content.decode()


def test_other_roles_have_no_approval_page(client, province):
    for name in ("fz_dispatcher", "fz_supervisor", "gl_housing_handler"):
        assert as_user(client, province, name).get("/approvals/").status_code == 404
