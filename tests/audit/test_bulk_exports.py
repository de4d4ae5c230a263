"""Bulk exports (issue 18 part 3): a threshold per center, approval by a leader or the security
auditor of the requester's center (never the requester), a background build within the
requester's scope, one download, and every step in the append-only logs."""

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from hotline.audit import exports
from hotline.audit.models import (
    DEFAULT_EXPORT_THRESHOLD,
    ExportEvent,
    ExportPolicy,
    ExportRequest,
    ExportState,
    PersonalDataView,
)
from hotline.orgs.models import Membership, Role, User
from hotline.tickets.models import Status
from tests.audit.conftest import assert_append_only
from tests.tickets.factory import ticket_at

REASON = "月度分析报告需要"
PHONES = ["13800000011", "13800000012", "13800000013"]


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


def _person(p, username, unit, *roles):
    user = User.objects.create(username=username, full_name=username, password="!")
    for role in roles:
        Membership.objects.create(user=user, unit=p.units[unit], role=role)
    p.users[username] = user
    return user


@pytest.fixture
def world(province):
    """Three 福州 tickets (two led by 鼓楼区住建局, one by 福州市住建局), 福州's center leader,
    auditor and administrator, and 厦门's leader."""
    p = province
    p.tickets = [
        ticket_at(p, Status.DISPATCHED, citizen_phone=PHONES[0], citizen_name="李四"),
        ticket_at(p, Status.DISPATCHED, citizen_phone=PHONES[1], citizen_name="王五"),
        ticket_at(p, Status.DISPATCHED, lead="fz_housing", citizen_phone=PHONES[2]),
    ]
    _person(p, "fz_leader", "fz", Role.LEADER)
    _person(p, "fz_auditor", "fz", Role.SECURITY_AUDITOR)
    _person(p, "fz_admin", "fz", Role.ADMIN)
    _person(p, "xm_leader", "xm", Role.LEADER)
    # A dispatcher who is also a leader of the same center: may not approve their own request.
    _person(p, "fz_two_hats", "fz", Role.DISPATCHER, Role.LEADER)
    return p


def _ask(client, user, **form):
    client.force_login(user)
    return client.post("/audit/exports/", {"reason": REASON, **form})


def _last(user) -> ExportRequest:
    return ExportRequest.objects.filter(requester=user).latest("pk")


def _actions(req) -> list[str]:
    return list(
        ExportEvent.objects.filter(request=req)
        .order_by("pk")
        .values_list("action", "user__username")
    )


def _download(client, user, req):
    client.force_login(user)
    return client.post(f"/audit/exports/{req.pk}/download/")


def _sheet(response) -> list[list]:
    data = b"".join(response.streaming_content)
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    return [list(r) for r in rows]


def test_a_small_masked_export_needs_no_approval_and_downloads_once(client, world, export_dir):
    agent = world.users["fz_dispatcher"]

    response = _ask(client, agent)
    req = _last(agent)
    assert response.status_code == 302
    assert (req.row_count, req.needs_approval, req.threshold) == (
        3,
        False,
        DEFAULT_EXPORT_THRESHOLD,
    )
    assert req.state == ExportState.BUILDING
    exports.build_task.call(req.pk)  # what the worker runs
    req.refresh_from_db()
    assert (req.state, req.done, req.total) == (ExportState.READY, 3, 3)
    assert (export_dir / req.file_name).exists()

    first = _download(client, agent, req)
    rows = _sheet(first)
    second = _download(client, agent, req)

    assert first.status_code == 200
    assert first["Content-Disposition"].startswith('attachment; filename="export-')
    assert len(rows) == 4 and rows[0][0] == "工单编号"
    assert sorted(r[11] for r in rows[1:]) == ["138****0011", "138****0012", "138****0013"]
    assert not any(p in str(rows) for p in PHONES)
    assert second.status_code == 409 and "不能下载" in second.content.decode()
    assert list(export_dir.iterdir()) == []  # the file is gone with the first download
    req.refresh_from_db()
    assert req.state == ExportState.DOWNLOADED
    assert _actions(req) == [("requested", "fz_dispatcher"), ("downloaded", "fz_dispatcher")]
    assert PersonalDataView.objects.count() == 0  # masked: no citizen exposed


def test_above_the_centers_threshold_an_export_waits(client, world):
    client.force_login(world.users["fz_admin"])
    response = client.post("/audit/exports/settings/", {"center": "fz", "threshold": "2"})
    agent = world.users["fz_dispatcher"]

    _ask(client, agent)
    big = _last(agent)
    _ask(client, agent, q=world.tickets[0].number)
    small = _last(agent)

    assert response.status_code == 302
    assert ExportPolicy.objects.get(center=world.units["fz"]).threshold == 2
    assert (big.row_count, big.threshold, big.state) == (3, 2, ExportState.PENDING)
    assert (small.row_count, small.state) == (1, ExportState.BUILDING)
    page = client.get("/audit/exports/").content.decode()
    assert "待审批" in page and 'data-testid="threshold">2<' in page


@pytest.mark.parametrize(
    "value", ["0", "abc", "", "100001", "-5"], ids=["zero", "text", "empty", "too-big", "negative"]
)
def test_a_bad_threshold_is_refused_naming_the_field(client, world, value):
    client.force_login(world.users["fz_admin"])
    response = client.post("/audit/exports/settings/", {"center": "fz", "threshold": value})
    text = response.content.decode()
    assert response.status_code == 400
    assert "导出审批阈值应为" in text and "threshold must be" in text and "字段：threshold" in text
    assert not ExportPolicy.objects.exists()


@pytest.mark.parametrize("username", ["fz_dispatcher", "fz_leader", "fz_auditor", "xm_leader"])
def test_only_the_centers_administrator_sets_its_threshold(client, world, username):
    _person(world, "xm_admin", "xm", Role.ADMIN)
    user = world.users["xm_admin" if username == "xm_leader" else username]
    client.force_login(user)
    response = client.post("/audit/exports/settings/", {"center": "fz", "threshold": "5"})
    # 厦门's administrator administers another center: fz is not one of theirs.
    assert response.status_code == (400 if user.username == "xm_admin" else 404)
    assert not ExportPolicy.objects.filter(center=world.units["fz"]).exists()


def test_a_full_export_waits_even_when_small_and_nobody_approves_their_own(client, world):
    me = world.users["fz_two_hats"]
    _ask(client, me, full="1", q=world.tickets[0].number)
    req = _last(me)

    response = client.post(f"/audit/exports/{req.pk}/approve/")

    assert (req.row_count, req.full, req.needs_approval) == (1, True, True)
    assert response.status_code == 403
    assert "不能审批本人提交的导出申请" in response.content.decode()
    req.refresh_from_db()
    assert req.state == ExportState.PENDING and req.decided_by is None
    assert _actions(req) == [("requested", "fz_two_hats")]


@pytest.mark.parametrize("username", ["xm_leader", "fz_housing_leader", "fz_reviewer", "fz_admin"])
def test_an_approver_of_another_center_or_without_the_role_cannot_decide(client, world, username):
    _ask(client, world.users["fz_dispatcher"], full="1")
    req = _last(world.users["fz_dispatcher"])
    client.force_login(world.users[username])

    queue = client.get("/audit/exports/queue/")
    approve = client.post(f"/audit/exports/{req.pk}/approve/")
    refuse = client.post(f"/audit/exports/{req.pk}/refuse/", {"refusal": "越权拒绝"})

    assert approve.status_code == refuse.status_code == 404
    assert queue.status_code == 404 or REASON not in queue.content.decode()
    req.refresh_from_db()
    assert req.state == ExportState.PENDING
    assert _actions(req) == [("requested", "fz_dispatcher")]


def test_a_refusal_needs_a_reason_and_the_requester_reads_it(client, world):
    agent = world.users["fz_dispatcher"]
    _ask(client, agent, full="1")
    req = _last(agent)
    client.force_login(world.users["fz_leader"])
    queue = client.get("/audit/exports/queue/").content.decode()

    empty = client.post(f"/audit/exports/{req.pk}/refuse/", {"refusal": " "})
    req.refresh_from_db()
    state_after_empty = req.state
    refused = client.post(
        f"/audit/exports/{req.pk}/refuse/", {"refusal": "范围过大，请按区县分批申请"}
    )
    late = client.post(f"/audit/exports/{req.pk}/approve/")

    assert REASON in queue and "fz_dispatcher" in queue
    assert empty.status_code == 400 and "拒绝理由应为" in empty.content.decode()
    assert "refusal reason must be" in empty.content.decode()
    assert state_after_empty == ExportState.PENDING
    assert refused.status_code == 302 and late.status_code == 409
    req.refresh_from_db()
    assert (req.state, req.decided_by.username) == (ExportState.REFUSED, "fz_leader")
    assert _actions(req) == [("requested", "fz_dispatcher"), ("refused", "fz_leader")]
    assert (
        ExportEvent.objects.get(request=req, action="refused").note == "范围过大，请按区县分批申请"
    )
    client.force_login(agent)
    page = client.get("/audit/exports/").content.decode()
    assert "已拒绝" in page and "范围过大，请按区县分批申请" in page


def test_an_approved_full_export_logs_every_ticket_and_field_it_exposes(client, world):
    agent = world.users["fz_dispatcher"]
    _ask(client, agent, full="1")
    req = _last(agent)
    client.force_login(world.users["fz_auditor"])
    approved = client.post(f"/audit/exports/{req.pk}/approve/")
    exports.build_task.call(req.pk)

    rows = _sheet(_download(client, agent, req))

    assert approved.status_code == 302
    assert sorted(r[11] for r in rows[1:]) == PHONES
    assert {r[10] for r in rows[1:]} == {"李四", "王五", "张三"}
    assert _actions(req) == [("requested", "fz_dispatcher"), ("approved", "fz_auditor"),
                             ("downloaded", "fz_dispatcher")]  # fmt: skip
    logged = set(PersonalDataView.objects.values_list("ticket_number", "field", "user__username"))
    assert logged == {(t.number, f, "fz_dispatcher") for t in world.tickets
                      for f in ("citizen_name", "citizen_phone")}  # fmt: skip
    assert {v.reason for v in PersonalDataView.objects.all()} == {f"批量导出 #{req.pk}：{REASON}"}
    client.force_login(world.users["fz_auditor"])
    log_page = client.get("/audit/access-log/").content.decode()
    assert f"#{req.pk}" in log_page and "批准" in log_page and "下载" in log_page


def test_the_rows_stay_within_the_requesters_scope(client, world):
    handler = world.users["gl_housing_handler"]
    _ask(client, handler)
    req = _last(handler)
    exports.build_task.call(req.pk)
    rows = _sheet(_download(client, handler, req))

    assert req.row_count == 2
    assert sorted(r[0] for r in rows[1:]) == sorted(t.number for t in world.tickets[:2])
    # 鼓楼区's unit works under 鼓楼区's center: that center's leaders decide its requests.
    assert req.center == world.units["gl"]


def test_only_the_requester_sees_the_progress_and_downloads(client, world):
    agent = world.users["fz_dispatcher"]
    _ask(client, agent)
    req = _last(agent)
    exports.build_task.call(req.pk)
    client.force_login(world.users["fz_agent"])  # same center, not the requester

    assert client.get(f"/audit/exports/{req.pk}/progress/").status_code == 404
    assert client.post(f"/audit/exports/{req.pk}/download/").status_code == 404
    client.force_login(world.users["fz_leader"])  # an approver is no downloader either
    assert client.post(f"/audit/exports/{req.pk}/download/").status_code == 404
    req.refresh_from_db()
    assert req.state == ExportState.READY
    client.force_login(agent)
    progress = client.get(f"/audit/exports/{req.pk}/progress/").content.decode()
    assert "可下载" in progress and 'data-testid="download"' in progress
    assert client.get(f"/audit/exports/{req.pk}/download/").status_code == 405


def test_progress_is_shown_while_building(client, world, monkeypatch):
    agent = world.users["fz_dispatcher"]
    _ask(client, agent)
    req = _last(agent)
    ExportRequest.objects.filter(pk=req.pk).update(done=1, total=3)
    client.force_login(agent)
    text = client.get(f"/audit/exports/{req.pk}/progress/").content.decode()
    assert "生成中" in text and "已生成 1 / 3 行（33%）" in text and 'hx-trigger="every 1s"' in text


@pytest.mark.parametrize(
    ("form", "status", "field", "zh", "en"),
    [
        ({"reason": ""}, 400, "reason", "导出理由应为", "reason must be"),
        ({"status": "nonsense"}, 400, "status", "筛选条件“状态”不正确", "status:"),
        ({"region": "999999"}, 400, "region", "", "region"),
        ({"created_from": "2026-13-40"}, 400, "created_from", "受理日期起", "created_from"),
        ({"q": "没有这样的工单"}, 400, "filters", "筛选结果为空", "match no ticket"),
    ],
    ids=["no-reason", "bad-status", "unknown-region", "bad-date", "no-rows"],
)
def test_bad_input_names_the_field_and_changes_nothing(client, world, form, status, field, zh, en):
    response = _ask(client, world.users["fz_dispatcher"], **form)
    text = response.content.decode()
    assert response.status_code == status
    assert f"字段：{field}" in text and zh in text and en in text
    assert ExportRequest.objects.count() == ExportEvent.objects.count() == 0


def test_a_read_only_role_may_not_ask_for_full_personal_data(client, world):
    response = _ask(client, world.users["fz_supervisor"], full="1")
    assert response.status_code == 403 and "字段：full" in response.content.decode()
    assert ExportRequest.objects.count() == 0


def test_a_user_without_a_role_gets_no_export_page(client, world):
    nobody = User.objects.create(username="nobody", password="!")
    assert _ask(client, nobody).status_code == 404
    assert client.get("/audit/exports/").status_code == 404
    assert ExportRequest.objects.count() == 0


def test_the_export_log_is_append_only(client, world):
    _ask(client, world.users["fz_dispatcher"])
    assert_append_only(ExportEvent.objects.get(), "note")


def test_the_administrator_cannot_read_the_export_log(client, world):
    _ask(client, world.users["fz_dispatcher"])
    client.force_login(world.users["fz_admin"])
    assert client.get("/audit/access-log/").status_code == 404


def test_a_lists_own_export_above_the_threshold_is_refused_and_sent_to_ask(client, world):
    handler, dispatcher = world.users["gl_housing_handler"], world.users["fz_dispatcher"]
    client.force_login(handler)
    inbox_before = client.get("/inbox/export.xlsx?tab=ack")
    client.force_login(dispatcher)
    api_before = client.get("/api/v1/exchange/export?format=csv")
    for center in ("gl", "fz"):  # 鼓楼区's unit works under 鼓楼区's center
        ExportPolicy.objects.create(center=world.units[center], threshold=1,
                                    updated_by=world.users["fz_admin"], updated_at=timezone.now())  # fmt: skip

    api_after = client.get("/api/v1/exchange/export?format=csv")
    client.force_login(handler)
    inbox_after = client.get("/inbox/export.xlsx?tab=ack")

    assert inbox_before.status_code == api_before.status_code == 200
    assert api_before.content.decode().count("\n") == 4  # the header and three tickets
    assert api_after.status_code == 403
    assert api_after.json() == {
        "code": "limit_exceeded",
        "field": "filters",
        "message_zh": "导出超过 1 行须经审批：请在“数据导出”页面（/audit/exports/）提交导出申请",
        "message_en": "an export of more than 1 rows needs approval: ask on /audit/exports/",
    }
    assert inbox_after.status_code == 403
    assert "导出超过 1 行须经审批" in inbox_after.content.decode()
    assert 'href="/audit/exports/"' in inbox_after.content.decode()


def test_a_file_not_downloaded_in_time_is_deleted_and_its_request_expires(
    client, world, export_dir
):
    agent = world.users["fz_dispatcher"]
    _ask(client, agent)
    req = _last(agent)
    exports.build_task.call(req.pk)
    req.refresh_from_db()
    built = export_dir / req.file_name
    stray = export_dir / "0123456789abcdef0123456789abcdef.xlsx"  # a build that died after writing
    stray.write_bytes(b"x")
    hours = exports.KEEP_HOURS * 3600

    kept = exports.purge_expired(now=built.stat().st_mtime + hours - 60)
    req.refresh_from_db()
    assert (kept, req.state, built.exists(), stray.exists()) == (0, ExportState.READY, True, True)

    deleted = exports.purge_expired(now=built.stat().st_mtime + hours + 60)
    req.refresh_from_db()
    assert deleted == 2 and list(export_dir.iterdir()) == []
    assert req.state == ExportState.EXPIRED and "已删除" in req.message
    response = _download(client, agent, req)
    assert response.status_code == 409 and "不能下载" in response.content.decode()


def test_the_purge_is_one_of_the_workers_jobs():
    from hotline.supervision.schedule import declared, resolve

    (job,) = [j for j in declared() if j.target == "hotline.audit.exports.purge_expired"]
    assert resolve(job) is not None and job.every == 3600
