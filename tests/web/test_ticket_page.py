import pytest

from hotline.tickets.models import RequestKind, RequestState, Status, TicketRequest
from tests.tickets.factory import ticket_at

from .helpers import HX, as_user, reload, text

pytestmark = pytest.mark.django_db


def test_a_county_handler_opening_another_countys_ticket_sees_not_found(client, province):
    t = ticket_at(province, Status.DISPATCHED)  # 鼓楼区
    response = as_user(client, province, "tj_housing_handler").get(f"/t/{t.number}/")
    assert response.status_code == 404
    post = client.post(f"/t/{t.number}/acknowledge/")
    assert post.status_code == 404
    assert reload(t).status == Status.DISPATCHED


def test_an_unknown_ticket_or_action_is_not_found(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    as_user(client, province, "gl_housing_handler")
    assert client.get("/t/nope/").status_code == 404
    assert client.post(f"/t/{t.number}/delete/").status_code == 404
    assert client.get(f"/t/{t.number}/acknowledge/").status_code == 405


def test_the_handler_sees_the_demand_the_timeline_and_only_its_actions(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    page = text(as_user(client, province, "gl_housing_handler").get(f"/t/{t.number}/"))
    assert "鼓楼区某小区3号楼电梯停运两周" in page
    assert '<li data-action="register">' in page
    assert '<li data-action="dispatch">' in page
    assert ">签收</button>" in page
    assert "申请退单" in page
    assert "提交答复" not in page
    assert "审核通过" not in page
    assert ">派单</button>" not in page


def test_acknowledge_then_reply_through_the_page(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    as_user(client, province, "gl_housing_handler")
    response = client.post(f"/t/{t.number}/acknowledge/", **HX)
    assert "已签收" in text(response)
    assert reload(t).status == Status.IN_PROGRESS
    response = client.post(f"/t/{t.number}/reply/", {"body": "已联系物业，电梯已修复。"}, **HX)
    assert reload(t).status == Status.REPLIED
    assert reload(t).reply == "已联系物业，电梯已修复。"
    assert '<li data-action="reply">' in text(response)


@pytest.mark.parametrize(
    "action, form, message",
    [
        ("reply", {"body": "好"}, "答复内容至少5个字"),
        ("request_return", {"reason": "不"}, "退单理由至少5个字"),
        ("request_extension", {"days": "x", "reason": "需要协调多个部门"}, "延期天数须为整数"),
        ("request_extension", {"days": "99", "reason": "需要协调多个部门"}, "延期天数须为1至"),
        ("sub_dispatch", {"to_unit": "tj_housing"}, "不是本单位的下级单位"),
        ("acknowledge", {}, "不能签收"),
    ],
    ids=["short-reply", "short-reason", "days-nan", "days-too-many", "foreign-sub", "twice"],
)
def test_a_refused_action_is_explained_in_chinese_and_changes_nothing(
    client, province, action, form, message
):
    t = ticket_at(province, Status.IN_PROGRESS)
    events = t.event_count
    response = as_user(client, province, "gl_housing_handler").post(
        f"/t/{t.number}/{action}/", form
    )
    assert response.status_code == 400
    assert message in text(response)
    after = reload(t)
    assert after.status == Status.IN_PROGRESS
    assert after.event_count == events


def test_an_action_the_user_may_not_take_is_refused_in_chinese(client, province):
    t = ticket_at(province, Status.REPLIED)
    response = as_user(client, province, "fz_callback").post(f"/t/{t.number}/approve_reply/", **HX)
    assert "只有责任中心的审核员可以审核通过" in text(response)
    assert reload(t).status == Status.REPLIED


def test_extension_request_then_the_dispatcher_approves_it(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    before = t.handle_deadline
    as_user(client, province, "gl_housing_handler").post(
        f"/t/{t.number}/request_extension/", {"days": "2", "reason": "需要协调多个部门现场勘查"}
    )
    req = TicketRequest.objects.get(ticket=t, kind=RequestKind.EXTENSION)
    assert req.state == RequestState.PENDING
    client.force_login(province.users["fz_dispatcher"])
    page = text(client.get(f"/t/{t.number}/"))
    assert "申请延期 2 个工作日" in page
    client.post(f"/t/{t.number}/approve_extension/")
    assert reload(t).handle_deadline > before
    assert reload(t).extension_count == 1


def test_return_then_the_dispatcher_rejects_it_with_a_reason(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    as_user(client, province, "gl_housing_handler").post(
        f"/t/{t.number}/request_return/", {"reason": "不属于本单位职责范围"}
    )
    assert reload(t).status == Status.RETURN_REQUESTED
    client.force_login(province.users["fz_dispatcher"])
    bad = client.post(f"/t/{t.number}/reject_return/", {"reason": ""})
    assert "驳回理由至少2个字" in text(bad)
    assert reload(t).status == Status.RETURN_REQUESTED
    client.post(f"/t/{t.number}/reject_return/", {"reason": "属于住建职责"})
    assert reload(t).status == Status.IN_PROGRESS


def test_a_confidential_citizen_is_masked_for_the_unit(client, province):
    t = ticket_at(province, Status.DISPATCHED, confidential=True)
    page = text(as_user(client, province, "gl_housing_handler").get(f"/t/{t.number}/"))
    assert "13800000001" not in page
    assert "138****0001" in page
    assert "张三" not in page
    client.force_login(province.users["fz_dispatcher"])
    page = text(client.get(f"/t/{t.number}/"))
    assert "13800000001" not in page  # masked for the center too: full only on request
    assert "张*" in page


def test_sub_dispatch_to_a_town_below(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    as_user(client, province, "gl_housing_handler")
    page = text(client.get(f"/t/{t.number}/"))
    assert "鼓东街道办事处" in page
    client.post(f"/t/{t.number}/sub_dispatch/", {"to_unit": "gl_town", "note": "请街道核实"})
    after = reload(t)
    assert after.status == Status.DISPATCHED
    assert after.lead_unit.code == "gl_town"


@pytest.mark.parametrize(
    "action, form, field_html",
    [
        ("reply", {"body": "好<b>"}, 'minlength="5" maxlength="5000">好&lt;b&gt;</textarea>'),
        ("request_extension", {"days": "x", "reason": "需协调"}, 'rows="2">需协调</textarea>'),
    ],
    ids=["reply", "extension"],
)
def test_a_refused_form_comes_back_with_what_was_typed(client, province, action, form, field_html):
    t = ticket_at(province, Status.IN_PROGRESS)
    response = as_user(client, province, "gl_housing_handler").post(
        f"/t/{t.number}/{action}/", form, **HX
    )
    assert 'data-testid="error"' in text(response)
    assert field_html in text(response)  # escaped: what was typed is text, never markup
