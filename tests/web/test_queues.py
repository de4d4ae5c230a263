import pytest
from openpyxl import load_workbook

from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .helpers import HX, as_user, reload, text

pytestmark = pytest.mark.django_db


def test_the_dispatcher_queue_lists_waiting_tickets_most_urgent_first(client, province):
    normal = ticket_at(province, Status.PENDING_DISPATCH, title="普通诉求")
    critical = ticket_at(province, Status.PENDING_DISPATCH, title="特急诉求", urgency="critical")
    page = text(as_user(client, province, "fz_dispatcher").get("/dispatch/", {"sort": "urgency"}))
    assert page.index(critical.number) < page.index(normal.number)
    page = text(client.get("/dispatch/", {"sort": "created"}))
    assert page.index(normal.number) < page.index(critical.number)


def test_the_dispatcher_queue_of_another_city_is_empty(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    page = text(as_user(client, province, "xm_dispatcher").get("/dispatch/"))
    assert t.number not in page
    assert as_user(client, province, "xm_dispatcher").get(f"/t/{t.number}/").status_code == 404


@pytest.mark.parametrize("params", [{"tab": "nope"}])
def test_the_dispatcher_queue_refuses_an_unknown_tab(client, province, params):
    assert as_user(client, province, "fz_dispatcher").get("/dispatch/", params).status_code == 404


def test_an_htmx_tab_switch_returns_only_the_table(client, province):
    ticket_at(province, Status.PENDING_DISPATCH)
    page = text(as_user(client, province, "fz_dispatcher").get("/dispatch/?tab=returns", **HX))
    assert page.startswith('<div id="queue">')
    assert "<html" not in page


def test_dispatch_from_the_ticket_page_to_a_lead_and_an_assisting_unit(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    as_user(client, province, "fz_dispatcher")
    page = text(client.get(f"/t/{t.number}/"))
    assert "鼓楼区住建局" in page
    assert "厦门市建设局" not in page
    client.post(
        f"/t/{t.number}/dispatch/", {"to_unit": "gl_housing", "assisting": ["gl_town"]}, **HX
    )
    after = reload(t)
    assert after.status == Status.DISPATCHED
    assert after.lead_unit.code == "gl_housing"
    assert [a.unit.code for a in after.assignments.filter(role="assist")] == ["gl_town"]


def test_bulk_dispatch_sends_every_selected_ticket_and_reports_each_failure(client, province):
    a = ticket_at(province, Status.PENDING_DISPATCH)
    b = ticket_at(province, Status.PENDING_DISPATCH)
    other = ticket_at(province, Status.DISPATCHED)
    response = as_user(client, province, "fz_dispatcher").post(
        "/dispatch/bulk/",
        {"numbers": [a.number, b.number, other.number, "nope"], "to_unit": "fz_housing"},
        **HX,
    )
    page = text(response)
    assert "已派单 2 件" in page
    assert f"{other.number}：工单不存在或不在待派单状态" in page
    assert reload(a).lead_unit.code == "fz_housing"
    assert reload(b).status == Status.DISPATCHED
    assert reload(other).lead_unit.code == "gl_housing"


@pytest.mark.parametrize(
    "form, message",
    [
        ({"to_unit": "fz_housing"}, "请先勾选要派发的工单"),
        ({"numbers": ["x"], "to_unit": ""}, "请选择主办单位"),
        ({"numbers": ["?"], "to_unit": "xm_housing"}, "工单不存在或不在待派单状态"),
    ],
)
def test_bulk_dispatch_bad_input(client, province, form, message):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    form = {
        k: [t.number if n == "?" else n for n in v] if k == "numbers" else v
        for k, v in form.items()
    }
    response = as_user(client, province, "fz_dispatcher").post("/dispatch/bulk/", form)
    assert response.status_code == 400
    assert message in text(response) or "不在本中心辖区内" in text(response)
    assert reload(t).status == Status.PENDING_DISPATCH


def test_bulk_dispatch_outside_the_region_is_refused_per_ticket(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    response = as_user(client, province, "fz_dispatcher").post(
        "/dispatch/bulk/", {"numbers": [t.number], "to_unit": "xm_housing"}
    )
    assert "「厦门市建设局」不在本中心辖区内" in text(response)
    assert reload(t).status == Status.PENDING_DISPATCH


def test_returns_wait_in_their_own_tab_and_approval_brings_them_back(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    lifecycle.request_return(
        ticket=t, by=province.users["gl_housing_handler"], reason="不属于本单位职责范围"
    )
    as_user(client, province, "fz_dispatcher")
    assert t.number in text(client.get("/dispatch/?tab=returns"))
    client.post(f"/t/{t.number}/approve_return/")
    assert reload(t).status == Status.PENDING_DISPATCH
    assert t.number in text(client.get("/dispatch/?tab=pending"))


def test_the_inbox_tabs_sort_the_units_work(client, province):
    waiting = ticket_at(province, Status.DISPATCHED, title="待签收的")
    doing = ticket_at(province, Status.IN_PROGRESS, title="办理中的")
    as_user(client, province, "gl_housing_handler")
    ack = text(client.get("/inbox/?tab=ack"))
    assert waiting.number in ack and doing.number not in ack
    assert 'class="countdown state-on_time"' in ack
    in_progress = text(client.get("/inbox/?tab=doing"))
    assert doing.number in in_progress and waiting.number not in in_progress
    assert client.get("/inbox/?tab=bogus").status_code == 404


def test_the_inbox_of_another_county_is_empty(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    page = text(as_user(client, province, "tj_housing_handler").get("/inbox/"))
    assert t.number not in page


def test_the_inbox_shows_overdue_returned_by_review_and_reopened(client, province):
    from datetime import timedelta

    from django.utils import timezone

    from hotline.tickets.models import Ticket

    late = ticket_at(province, Status.IN_PROGRESS, title="超期的")
    # Time passes: the deadline is behind us (tests may move time, never the product).
    Ticket.objects.filter(pk=late.pk).update(handle_deadline=timezone.now() - timedelta(hours=1))
    rejected = ticket_at(province, Status.REPLIED, title="被退回的")
    lifecycle.reject_reply(ticket=rejected, by=province.users["fz_reviewer"], reason="答非所问")
    reopened = ticket_at(province, Status.REVIEWED, title="重办的")
    lifecycle.callback(
        ticket=reopened,
        by=province.users["fz_callback"],
        satisfaction="unsatisfied",
        resolved=False,
    )
    as_user(client, province, "gl_housing_handler")
    overdue = text(client.get("/inbox/?tab=overdue"))
    assert late.number in overdue and rejected.number not in overdue
    assert "state-overdue" in overdue
    review = text(client.get("/inbox/?tab=rejected"))
    assert rejected.number in review and late.number not in review
    again = text(client.get("/inbox/?tab=reopened"))
    assert reopened.number in again and rejected.number not in again


def test_the_reviewer_approves_or_sends_back_beside_the_demand(client, province):
    a = ticket_at(province, Status.REPLIED)
    b = ticket_at(province, Status.REPLIED)
    as_user(client, province, "fz_reviewer")
    page = text(client.get("/review/"))
    assert "已督促物业维修，电梯已恢复运行。" in page
    client.post(f"/review/{a.number}/", {"decision": "approve"}, **HX)
    assert reload(a).status == Status.REVIEWED
    bad = text(client.post(f"/review/{b.number}/", {"decision": "reject", "reason": ""}, **HX))
    assert "退回理由至少2个字" in bad
    assert reload(b).status == Status.REPLIED
    done = text(
        client.post(
            f"/review/{b.number}/", {"decision": "reject", "reason": "未说明维修时间"}, **HX
        )
    )
    assert "已退回承办单位" in done
    assert reload(b).status == Status.IN_PROGRESS


def test_the_review_queue_is_for_the_center_reviewer_only(client, province):
    t = ticket_at(province, Status.REPLIED)
    assert (
        as_user(client, province, "gl_housing_handler")
        .post(f"/review/{t.number}/", {"decision": "approve"})
        .status_code
        == 404
    )
    page = text(as_user(client, province, "fz_reviewer").get("/review/"))
    assert t.number in page


def test_callback_closes_or_reopens(client, province):
    happy = ticket_at(province, Status.REVIEWED)
    unhappy = ticket_at(province, Status.REVIEWED)
    as_user(client, province, "fz_callback")
    assert happy.number in text(client.get("/callback/"))
    bad = text(client.post(f"/callback/{happy.number}/", {"satisfaction": ""}, **HX))
    assert "满意度取值无效" in bad
    assert reload(happy).status == Status.REVIEWED
    client.post(
        f"/callback/{happy.number}/", {"satisfaction": "satisfied", "resolved": "yes"}, **HX
    )
    assert reload(happy).status == Status.CLOSED
    assert reload(happy).resolved is True
    page = text(client.post(f"/callback/{unhappy.number}/", {"satisfaction": "unsatisfied"}, **HX))
    assert "市民不满意，已重办" in page
    after = reload(unhappy)
    assert after.status == Status.IN_PROGRESS
    assert after.lead_unit.code == "gl_housing"


def test_the_supervisor_sees_overdue_tickets_and_exports_them(client, province):
    from datetime import timedelta

    from django.utils import timezone

    from hotline.tickets.models import Ticket

    late = ticket_at(province, Status.IN_PROGRESS, title="超期未办")
    fine = ticket_at(province, Status.IN_PROGRESS, title="正常办理")
    Ticket.objects.filter(pk=late.pk).update(handle_deadline=timezone.now() - timedelta(hours=2))
    as_user(client, province, "fz_supervisor")
    page = text(client.get("/supervise/?tab=overdue"))
    assert late.number in page and fine.number not in page
    response = client.get("/supervise/export.xlsx?tab=overdue")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.values)
    assert rows[0][:3] == ("工单编号", "标题", "状态")
    assert [r[0] for r in rows[1:]] == [late.number]
    assert rows[1][10] == "超期"


def test_the_supervisor_filters_and_flags(client, province):
    t = ticket_at(province, Status.IN_PROGRESS, urgency="critical")
    lifecycle.supervise(ticket=t, by=province.users["fz_supervisor"], reason="群众反映强烈")
    as_user(client, province, "fz_supervisor")
    assert t.number in text(client.get("/supervise/?tab=flagged"))
    assert t.number in text(client.get("/supervise/?tab=flagged&urgency=critical&region=350102"))
    assert t.number not in text(client.get("/supervise/?tab=flagged&urgency=normal"))
    assert t.number not in text(client.get("/supervise/?tab=flagged&region=999999"))
    assert client.get("/supervise/?tab=bad").status_code == 404
    assert client.get("/supervise/export.xlsx?tab=bad").status_code == 404


def test_a_supervisor_of_another_city_sees_nothing_of_ours(client, province):
    from hotline.orgs.models import Membership, Role

    t = ticket_at(province, Status.IN_PROGRESS)
    lifecycle.supervise(ticket=t, by=province.users["fz_supervisor"], reason="群众反映强烈")
    xm = province.users["xm_agent"]
    Membership.objects.create(user=xm, unit=province.units["xm"], role=Role.SUPERVISOR)
    client.force_login(xm)
    assert t.number not in text(client.get("/supervise/?tab=flagged"))


def test_a_center_can_take_a_ticket_over_but_never_assist(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    page = text(as_user(client, province, "fz_dispatcher").get(f"/t/{t.number}/"))
    lead = page.split('id="to_unit"')[1].split("</select>")[0]
    assisting = page.split('id="assisting"')[1].split("</select>")[0]
    assert "鼓楼区12345热线中心" in lead
    assert "鼓楼区12345热线中心" not in assisting
    assert "鼓楼区住建局" in assisting
    client.post(f"/t/{t.number}/dispatch/", {"to_unit": "gl"})
    after = reload(t)
    assert after.status == Status.PENDING_DISPATCH
    assert after.center.code == "gl"


def test_due_soon_means_a_fifth_of_the_ticket_s_own_limit_left(client, province):
    from datetime import timedelta

    from django.utils import timezone

    from hotline.tickets.models import Ticket

    soon = ticket_at(province, Status.IN_PROGRESS, title="快到期")
    relaxed = ticket_at(province, Status.IN_PROGRESS, title="还早")
    now = timezone.now()
    # Dispatched ten days ago, due in one day: a tenth of the limit left.
    Ticket.objects.filter(pk=soon.pk).update(
        dispatched_at=now - timedelta(days=10), handle_deadline=now + timedelta(days=1)
    )
    Ticket.objects.filter(pk=relaxed.pk).update(
        dispatched_at=now - timedelta(days=1), handle_deadline=now + timedelta(days=9)
    )
    page = text(as_user(client, province, "gl_housing_handler").get("/inbox/?tab=due_soon"))
    assert soon.number in page and relaxed.number not in page
    assert "state-due_soon" in page
    client.force_login(province.users["fz_supervisor"])
    page = text(client.get("/supervise/?tab=due_soon"))
    assert soon.number in page and relaxed.number not in page


def test_a_return_from_a_unit_below_waits_in_the_passing_units_inbox(client, province):
    t = ticket_at(province, Status.IN_PROGRESS)
    u = province.users
    lifecycle.sub_dispatch(ticket=t, by=u["gl_housing_handler"], to_unit=province.units["gl_town"])
    lifecycle.request_return(
        ticket=reload(t), by=u["gl_town_handler"], reason="不属于街道职责范围，请收回"
    )
    as_user(client, province, "gl_housing_handler")
    assert t.number in text(client.get("/inbox/?tab=sub_returns"))
    page = text(client.get(f"/t/{t.number}/"))
    assert "同意退单" in page
    client.post(f"/t/{t.number}/approve_return/")
    after = reload(t)
    assert after.status == Status.IN_PROGRESS
    assert after.lead_unit.code == "gl_housing"
    assert t.number not in text(client.get("/inbox/?tab=sub_returns"))
