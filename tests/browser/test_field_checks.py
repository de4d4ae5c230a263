"""暗访 and 典型曝光 in a real browser: a supervisor records a field visit on a ticket with a
photo and opens a 督办 from it, which the unit finds in its ledger; a bulletin is drafted from a
review send-back, approved by the center's leader, issued, and its Word file opens in
LibreOffice."""

import pytest
from django.test import Client

from hotline.orgs.models import Membership, Role, User
from hotline.supervision.models import Bulletin, BulletinState, FieldCheck, SupervisionItem
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, TicketEvent
from tests.supervision.test_bulletins import opens_in_libreoffice
from tests.tickets.factory import ticket_at

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def go(page, path):
    page.goto(page.base + path)


@pytest.fixture(autouse=True)
def warmed(province):
    """The first request of a process imports the URL conf and every app behind it (15 s on a
    loaded machine, past the browser's 10 s); the test client pays that before the browser."""
    client = Client()
    client.force_login(province.users["fz_supervisor"])
    assert client.get("/supervision/field-checks/").status_code == 200


@pytest.fixture
def leaders(province):
    for name, unit, full_name in [("fz_leader", "fz", "王主任"),
                                  ("gl_housing_leader", "gl_housing", "赵局长")]:  # fmt: skip
        user = User.objects.create(username=name, full_name=full_name)
        Membership.objects.create(user=user, unit=province.units[unit], role=Role.LEADER)
        province.users[name] = user


def test_a_field_check_with_a_photo_opens_a_supervision_item(province, as_role, shot, tmp_path):
    ticket = ticket_at(province, Status.IN_PROGRESS)
    photo = tmp_path / "窗口.png"
    photo.write_bytes(PNG)
    supervisor = as_role("fz_supervisor")
    go(supervisor, "/supervision/field-checks/")
    supervisor.check("input[name=kind][value=field]")
    supervisor.fill("#c-ticket", ticket.number)
    supervisor.fill("#c-place", "鼓楼区住建局服务窗口")
    supervisor.fill("#c-findings", "上午十点窗口无人值守，群众等候半小时无人接待")
    supervisor.get_by_role("button", name="保存暗访记录").click()
    supervisor.get_by_role("heading", name="实地暗访：鼓楼区住建局").wait_for()
    check = FieldCheck.objects.get()

    supervisor.set_input_files("#p-file", str(photo))
    supervisor.get_by_role("button", name="上传附件", exact=True).click()
    supervisor.get_by_test_id("photos").get_by_text("窗口.png").wait_for()
    supervisor.fill("#s-reason", "窗口无人值守，请限期整改并报告")
    supervisor.get_by_role("button", name="发起督办").click()
    supervisor.get_by_test_id("opened-item").wait_for()
    shot(supervisor, "field-check-01-supervised")

    item = SupervisionItem.objects.get()
    check.refresh_from_db()
    assert check.opened_item == item
    assert (item.target_unit.code, item.reason) == (
        "gl_housing", "实地暗访发现：窗口无人值守，请限期整改并报告")  # fmt: skip
    handler = as_role("gl_housing_handler")
    go(handler, "/supervision/ledger/")
    handler.get_by_text("实地暗访发现：窗口无人值守，请限期整改并报告").wait_for()


def test_a_bulletin_is_drafted_approved_issued_and_opens(province, leaders, as_role, shot,
                                                         tmp_path):  # fmt: skip
    replied = ticket_at(province, Status.REPLIED)
    lifecycle.reject_reply(ticket=replied, by=province.users["fz_reviewer"],
                           reason="电梯仍停运，答复与事实不符")  # fmt: skip
    sendback = TicketEvent.objects.get(ticket=replied, action="reject_reply")

    supervisor = as_role("fz_supervisor")
    go(supervisor, "/supervision/bulletins/")
    supervisor.fill("#b-title", "关于办理不实典型问题的通报")
    supervisor.get_by_role("button", name="起草通报").click()
    supervisor.get_by_test_id("state").get_by_text("草稿").wait_for()
    supervisor.get_by_label(f"错误所在 sendback-{sendback.pk}").fill(
        "电梯仍未修复，答复称已恢复运行，弄虚作假"
    )
    supervisor.get_by_test_id(f"choose-sendback-{sendback.pk}").click()
    supervisor.get_by_test_id("cases").get_by_text("弄虚作假").wait_for()
    supervisor.get_by_role("button", name="送中心领导审批").click()
    supervisor.get_by_test_id("state").get_by_text("待审批").wait_for()
    bulletin = Bulletin.objects.get()

    leader = as_role("fz_leader")
    go(leader, f"/supervision/bulletins/{bulletin.pk}/")
    leader.fill("#d-note", "同意印发")
    leader.get_by_role("button", name="同意印发").click()
    leader.get_by_test_id("state").get_by_text("已审批").wait_for()

    supervisor.reload()
    supervisor.get_by_role("button", name="印发").click()
    supervisor.get_by_test_id("state").get_by_text("已印发").wait_for()
    shot(supervisor, "bulletin-01-issued")
    bulletin.refresh_from_db()
    assert (bulletin.state, bulletin.serial) == (BulletinState.ISSUED, 1)
    with supervisor.expect_download() as download:
        supervisor.get_by_test_id("docx").click()
    docx = tmp_path / "download.docx"
    download.value.save_as(docx)
    opens_in_libreoffice(docx.read_bytes(), tmp_path,
                         "点名批评：承办人gl_housing_handler；责任领导赵局长。")  # fmt: skip
