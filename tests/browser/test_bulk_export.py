"""A bulk export in Chromium, as each person does it on the page (issue 18 part 3): the center's
administrator lowers the threshold, a dispatcher asks for the list with citizens in full, the
center's leader approves it in the queue, the file is built (what `hotline db_worker` runs)
while the requester's page shows the progress, the requester downloads it once, and the
security auditor reads every step in the log. axe-core checks each page on the way."""

import io

import pytest
from openpyxl import load_workbook

from hotline.audit import exports
from hotline.audit.models import ExportRequest
from hotline.orgs.models import Membership, Role, User
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .journeys import go, settled, without_stream
from .test_accessibility import violations

pytestmark = pytest.mark.django_db(transaction=True)
PHONES = ["13800000021", "13800000022", "13800000023"]


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"


def _person(p, username, role):
    user = User.objects.create(username=username, full_name=username, password="!")
    Membership.objects.create(user=user, unit=p.units["fz"], role=role)
    p.users[username] = user


def _open(as_role, username, path):
    page = without_stream(as_role(username, bypass_csp=True))  # axe is an injected script
    page.set_default_timeout(30_000)  # a shared, often saturated machine
    go(page, path)
    settled(page)
    return page


def _state(page) -> str:
    return page.get_by_test_id("export-row").first.get_by_test_id("state").inner_text()


def test_request_approve_build_and_download_once(as_role, province, tmp_path):
    tickets = [ticket_at(province, Status.DISPATCHED, citizen_phone=p) for p in PHONES]
    for username, role in [("fz_admin", Role.ADMIN), ("fz_leader", Role.LEADER),
                           ("fz_auditor", Role.SECURITY_AUDITOR)]:  # fmt: skip
        _person(province, username, role)

    # The administrator lowers 福州's threshold to 2 rows.
    admin = _open(as_role, "fz_admin", "/audit/exports/settings/")
    assert violations(admin) == []
    admin.get_by_label("福州市12345热线中心的阈值").fill("2")
    admin.get_by_role("button", name="保存").click()
    settled(admin)
    assert admin.get_by_label("福州市12345热线中心的阈值").input_value() == "2"

    # The dispatcher asks for the list with citizens in full; a missing reason is refused first.
    asker = _open(as_role, "fz_dispatcher", "/audit/exports/")
    assert asker.get_by_test_id("threshold").inner_text() == "2"
    asker.get_by_label("导出完整个人信息（诉求人姓名、电话不脱敏，须审批）").check()
    asker.get_by_label("导出理由（必填）").fill("月度分析报告需要")
    asker.get_by_test_id("submit-export").click()
    settled(asker)
    row = asker.get_by_test_id("export-row").first
    assert _state(asker) == "待审批"
    assert "3" in row.inner_text() and "月度分析报告需要" in row.inner_text()
    assert violations(asker) == []

    # The center's leader approves it in the queue.
    leader = _open(as_role, "fz_leader", "/audit/exports/queue/")
    pending = leader.get_by_test_id("pending-row")
    assert pending.count() == 1
    assert "fz_dispatcher" in pending.inner_text() and "月度分析报告需要" in pending.inner_text()
    assert violations(leader) == []
    pending.get_by_test_id("approve").click()
    settled(leader)
    assert leader.get_by_test_id("pending-row").count() == 0
    assert "生成中" in leader.get_by_test_id("export-decided").inner_text()

    # The requester's page shows the build in progress, then the download, by itself.
    asker.reload()
    settled(asker)
    assert _state(asker) == "生成中"
    req = ExportRequest.objects.get()
    exports.build_task.call(req.pk)  # what the worker runs
    button = asker.get_by_test_id("download")
    button.wait_for()  # the 1 s poll swaps the row's state in
    assert _state(asker) == "可下载"
    with asker.expect_download() as info:
        button.click()
    saved = tmp_path / "export.xlsx"
    info.value.save_as(saved)
    rows = list(load_workbook(io.BytesIO(saved.read_bytes())).active.iter_rows(values_only=True))
    assert sorted(r[11] for r in rows[1:]) == PHONES
    assert sorted(r[0] for r in rows[1:]) == sorted(t.number for t in tickets)

    # The link is spent: the page says so and offers no second download.
    asker.reload()
    settled(asker)
    assert _state(asker) == "已下载（链接已失效）"
    assert asker.get_by_test_id("download").count() == 0

    # The auditor reads the request, the approval and the download, and each citizen seen.
    auditor = _open(as_role, "fz_auditor", "/audit/access-log/")
    log = auditor.get_by_test_id("export-log").inner_text()
    for who, action in [
        ("fz_dispatcher", "申请"),
        ("fz_leader", "批准"),
        ("fz_dispatcher", "下载"),
    ]:
        assert any(who in line and f"\t{action}\t" in line for line in log.splitlines()), log
    seen = auditor.get_by_test_id("access-log").inner_text()
    assert all(t.number in seen for t in tickets) and f"批量导出 #{req.pk}" in seen
    assert violations(auditor) == []
