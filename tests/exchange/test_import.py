"""Import of historical tickets: mapping, dry run, idempotent bulk write, pages, command."""

import csv
import io
import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from openpyxl import Workbook

from hotline.catalog.services import load_categories
from hotline.exchange import imports
from hotline.exchange.models import ImportJob, ImportState, OutboxMessage
from hotline.orgs.models import Membership, Role, User
from hotline.portal import importjobs
from hotline.tickets import history
from hotline.tickets.models import Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

DATA = Path(os.environ.get("HOTLINE_DATA_DIR", settings.DATA_DIR))
REAL_FILES = {
    "messages_labeled.csv": 1020,
    "messages_unlabeled.csv": 2801,
    "messages_with_votes.csv": 4326,
    "replies.csv": 2816,
}


@pytest.fixture
def admins(province):
    """System administrators of the province center and of 福州 center."""
    out = {}
    for name, unit in (("prov_admin", "prov"), ("fz_admin", "fz")):
        user = User.objects.create(username=name, full_name=name)
        Membership.objects.create(user=user, unit=province.units[unit], role=Role.ADMIN)
        out[name] = User.objects.get(pk=user.pk)
    return out


def options(admins, province, **over):
    fields = dict(center=province.units["prov"], by=admins["prov_admin"], source="test")
    fields.update(over)
    return imports.Options(**fields)


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_columns_are_suggested_from_the_header_names():
    headers = [
        "留言编号",
        "留言用户",
        "留言主题",
        "留言时间",
        "留言详情",
        "答复意见",
        "答复时间",
        "点赞",
    ]
    assert imports.suggest(headers) == {
        "留言编号": "external_id",
        "留言用户": "citizen",
        "留言主题": "title",
        "留言时间": "created_at",
        "留言详情": "content",
        "答复意见": "reply",
        "答复时间": "replied_at",
    }


@pytest.mark.parametrize(
    "mapping,field_zh",
    [
        ({"title": "title"}, "必须指定「诉求内容」对应的列"),
        ({"content": "content", "time": "when"}, "未知字段：when"),
        ({"content": "content", "time": "created_at", "nope": "title"}, "文件中没有列：nope"),
        (
            {"content": "content", "time": "created_at", "title": "content"},
            "字段「诉求内容」对应了多列",
        ),
    ],
    ids=["required-missing", "unknown-field", "unknown-column", "mapped-twice"],
)
def test_a_bad_mapping_is_refused_naming_the_problem(mapping, field_zh):
    with pytest.raises(imports.InvalidInput) as exc:
        imports.check_mapping(mapping, ["id", "title", "time", "content"])
    assert exc.value.field == "mapping"
    assert exc.value.message_zh == field_zh


def test_rows_with_errors_are_reported_by_row_and_field_and_not_written(tmp_path, admins, province):
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["id", "title", "time", "content", "region", "reply", "reply_time"],
            [
                "1",
                "路灯不亮",
                "2019-05-01 10:00:00",
                "鼓东街道路灯不亮",
                "鼓楼区",
                "已修复",
                "2019-05-03 09:00:00",
            ],
            ["2", "噪音", "2019-13-01", "夜间施工噪音", "", "", ""],
            ["3", "积水", "2019-05-02 08:00:00", "", "", "", ""],
            ["4", "垃圾", "2019-05-02 08:00:00", "垃圾没人清", "思明区外星", "", ""],
            ["5", "违建", "2019-05-02 08:00:00", "楼顶违建", "", "已处理", "2019-05-01 08:00:00"],
        ],
    )
    table = imports.read_table(path)
    report = imports.run(
        table, imports.suggest(table.headers), options(admins, province), dry_run=True
    )
    assert (report.total, report.valid, report.error_count) == (5, 1, 4)
    assert [(e["row"], e["field"]) for e in report.errors] == [
        (3, "created_at"),
        (4, "content"),
        (5, "region"),
        (6, "replied_at"),
    ]
    assert report.errors[0]["message_zh"] == "受理时间无法识别：2019-13-01"
    assert report.errors[0]["message_en"] == "created_at is not a date/time"
    assert Ticket.objects.count() == 0

    report = imports.run(
        table, imports.suggest(table.headers), options(admins, province), dry_run=False
    )
    assert (report.created, report.error_count) == (1, 4)
    t = Ticket.objects.get()
    assert t.region == province.regions["350102"]
    assert t.external_ref == "test:1"


def test_imported_tickets_are_closed_records_with_a_chained_history_and_no_outbox(
    tmp_path, admins, province
):
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["id", "user", "title", "time", "content", "reply", "reply_time"],
            [
                "7",
                "A0001",
                "路灯不亮",
                "2019-05-01 10:00:00",
                "鼓东街道路灯不亮",
                "已修复，感谢监督。",
                "2019-05-03 09:00:00",
            ],
            ["8", "A0002", "噪音", "2019-05-02 11:00:00", "夜间施工噪音", "", ""],
        ],
    )
    table = imports.read_table(path)
    opts = options(admins, province, region=province.regions["350100"])
    report = imports.run(table, imports.suggest(table.headers), opts, dry_run=False)
    assert report.created == 2
    replied = Ticket.objects.get(external_ref="test:7")
    assert replied.status == Status.CLOSED
    assert replied.reply == "已修复，感谢监督。"
    assert replied.citizen_name == "A0001"
    assert replied.region == province.regions["350100"]
    assert replied.center == province.units["prov"]
    assert replied.number.startswith("35000020190501")
    assert replied.replied_at.isoformat() == "2019-05-03T01:00:00+00:00"
    assert replied.closed_at == replied.replied_at
    assert list(replied.events.values_list("action", "to_status")) == [
        ("register", "registered"),
        ("close", "closed"),
    ]
    silent = Ticket.objects.get(external_ref="test:8")
    assert (silent.reply, silent.replied_at, silent.closed_at) == ("", None, silent.created_at)
    assert all(history.verify(t).ok for t in Ticket.objects.all())
    assert OutboxMessage.objects.count() == 0


def test_the_same_file_twice_creates_nothing_twice(tmp_path, admins, province):
    rows = [["标题", "留言时间", "留言详情"], ["路灯", "2019-05-01 10:00", "路灯不亮"],
            ["噪音", "2019-05-01 11:00", "施工噪音"], ["路灯", "2019-05-01 10:00", "路灯不亮"]]  # fmt: skip
    table = imports.read_table(write_csv(tmp_path / "noid.csv", rows))
    mapping = imports.suggest(table.headers)
    first = imports.run(table, mapping, options(admins, province), dry_run=False)
    again = imports.run(table, mapping, options(admins, province), dry_run=False)
    # No id column: the id is a digest of the row, so the repeated row imports once too.
    assert (first.created, first.skipped) == (2, 1)
    assert (again.created, again.skipped) == (0, 3)
    assert Ticket.objects.count() == 2
    assert TicketEvent.objects.count() == 4


def test_excel_files_import_with_their_dates_and_numbers(tmp_path, admins, province):
    load_categories()
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["留言编号", "留言主题", "留言时间", "留言详情", "一级分类", "答复意见", "答复时间"]
    )
    sheet.append([188006.0, "学位问题", datetime(2019, 2, 28, 11, 25, 5), "咨询入学学位", "教育文体",
                  "请咨询教育局。", datetime(2019, 3, 2, 9, 0)])  # fmt: skip
    sheet.append(
        [188007, "道路命名", "2019-02-14 20:00:00", "道路命名公示", "城乡建设", None, None]
    )
    sheet.append([None, None, None, None, None, None, None])  # a blank row is no row
    path = tmp_path / "book.xlsx"
    book.save(path)
    table = imports.read_table(path)
    assert table.total == 2
    report = imports.run(table, imports.suggest(table.headers), options(admins, province, source="xls"), dry_run=False)  # fmt: skip
    assert (report.created, report.error_count) == (2, 0)
    t = Ticket.objects.get(external_ref="xls:188006")
    assert t.category.full_name == "教育文体"
    assert t.reply == "请咨询教育局。"
    assert t.number.startswith("35000020190228")


def test_a_default_region_outside_the_center_is_refused(tmp_path, admins, province):
    table = imports.read_table(
        write_csv(tmp_path / "a.csv", [["留言时间", "留言详情"], ["2019-01-01", "x"]])
    )
    fz = options(admins, province, center=province.units["fz"], by=admins["fz_admin"],
                 region=province.regions["350203"])  # fmt: skip
    with pytest.raises(imports.InvalidInput) as exc:
        imports.run(table, imports.suggest(table.headers), fz, dry_run=True)
    assert exc.value.field == "region"


@pytest.mark.skipif(
    not (DATA / "replies.csv").exists() and os.environ.get("CI") != "true",
    reason="the real data (HOTLINE_DATA_DIR) is not on this machine",
)
def test_the_real_files_import_cleanly_and_once(admins, province):
    load_categories()
    for name, rows in REAL_FILES.items():
        table = imports.read_table(DATA / name)
        mapping = imports.suggest(table.headers)
        opts = options(admins, province, source=Path(name).stem[:24])
        dry = imports.run(table, mapping, opts, dry_run=True)
        assert (name, dry.total, dry.valid, dry.error_count, dry.errors) == (
            name,
            rows,
            rows,
            0,
            [],
        )
        assert Ticket.objects.filter(external_ref__startswith=f"{opts.source}:").count() == 0
        real = imports.run(table, mapping, opts, dry_run=False)
        assert (name, real.created, real.skipped, real.error_count) == (name, rows, 0, 0)
    assert Ticket.objects.count() == sum(REAL_FILES.values())
    assert Ticket.objects.exclude(status=Status.CLOSED).count() == 0
    # replies.csv: every row has a reply, one of them without a reply time.
    replies = Ticket.objects.filter(external_ref__startswith="replies:")
    assert replies.exclude(reply="").count() == 2816
    assert replies.filter(replied_at__isnull=True).count() == 1
    assert Ticket.objects.filter(external_ref__startswith="messages_labeled:", category__isnull=False).count() == 1020  # fmt: skip
    assert all(r.ok for r in history.verify_all(Ticket.objects.all()))
    assert OutboxMessage.objects.count() == 0
    again = imports.run(imports.read_table(DATA / "replies.csv"), mapping, opts, dry_run=False)
    assert (again.created, again.skipped) == (0, 2816)


# ---- the pages and the command ---------------------------------------------------------------


def upload(client, tmp_path, **over):
    path = write_csv(tmp_path / "up.csv", [["id", "留言主题", "留言时间", "留言详情"],
                                          ["1", "路灯", "2019-05-01 10:00", "路灯不亮"],
                                          ["2", "噪音", "2019-13-01", "施工噪音"]])  # fmt: skip
    with open(path, "rb") as f:
        return client.post("/import/", {"file": f, "source": "up", "channel": "web", **over})


def test_anonymous_is_sent_to_login(client, province):
    for url in ("/import/", "/import/1/", "/import/1/progress/"):
        r = client.get(url)
        assert r.status_code == 302
        assert r["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "username", ["fz_agent", "fz_dispatcher", "fz_supervisor", "gl_housing_handler"]
)
def test_only_center_administrators_may_import(client, province, admins, tmp_path, username):
    client.force_login(province.users[username])
    assert client.get("/import/").status_code == 403
    assert upload(client, tmp_path).status_code == 403
    assert ImportJob.objects.count() == 0


def test_a_job_of_another_center_does_not_exist(client, province, admins, tmp_path):
    client.force_login(admins["prov_admin"])
    upload(client, tmp_path)
    job = ImportJob.objects.get()
    client.force_login(admins["fz_admin"])
    assert client.get(f"/import/{job.pk}/").status_code == 404
    assert client.post(f"/import/{job.pk}/", {"action": "run"}).status_code == 404
    assert client.get(f"/import/{job.pk}/progress/").status_code == 404


def test_upload_map_dry_run_then_import_on_the_page(
    client, province, admins, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admins["fz_admin"])
    r = upload(client, tmp_path, region="350102")
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/import/{job.pk}/"
    assert job.mapping == {"id": "external_id", "留言主题": "title", "留言时间": "created_at", "留言详情": "content"}  # fmt: skip
    page = client.get(f"/import/{job.pk}/").content.decode()
    assert "路灯不亮" in page  # the preview
    assert 'data-testid="run"' not in page  # no import before a dry run

    assert client.post(f"/import/{job.pk}/", {"action": "run"}).status_code == 409
    with django_capture_on_commit_callbacks(execute=False) as queued:
        r = client.post(f"/import/{job.pk}/", {"action": "check", "map_0": "external_id",
                        "map_1": "title", "map_2": "created_at", "map_3": "content"})  # fmt: skip
    assert r.status_code == 302
    assert len(queued) == 1  # the task goes to the worker after commit
    assert ImportJob.objects.get().state == ImportState.CHECKING
    assert 'hx-trigger="every 1s"' in client.get(f"/import/{job.pk}/progress/").content.decode()

    importjobs.import_task.call(job.pk, True)  # what the worker runs
    job.refresh_from_db()
    assert (job.state, job.total, job.done, job.error_count) == (ImportState.CHECKED, 2, 2, 1)
    progress = client.get(f"/import/{job.pk}/progress/").content.decode()
    assert "every 1s" not in progress
    assert "受理时间无法识别：2019-13-01" in progress and ">3<" in progress
    assert Ticket.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"/import/{job.pk}/", {"action": "run"}).status_code == 302
    importjobs.execute(job.pk, False)
    job.refresh_from_db()
    assert (job.state, job.created_count, job.error_count) == (ImportState.DONE, 1, 1)
    t = Ticket.objects.get()
    assert (t.center, t.region) == (province.units["fz"], province.regions["350102"])
    assert t.registered_by == admins["fz_admin"]


def test_a_bad_mapping_on_the_page_changes_nothing(client, province, admins, tmp_path):
    client.force_login(admins["fz_admin"])
    upload(client, tmp_path)
    job = ImportJob.objects.get()
    r = client.post(f"/import/{job.pk}/", {"action": "check", "map_1": "title"})
    assert r.status_code == 400
    assert "必须指定「诉求内容」对应的列" in r.content.decode()
    job.refresh_from_db()
    assert job.state == ImportState.UPLOADED
    assert job.mapping["留言详情"] == "content"


def test_upload_refuses_other_file_types(client, province, admins):
    client.force_login(admins["fz_admin"])
    r = client.post("/import/", {"file": io.BytesIO(b"x"), "source": "up"})
    assert r.status_code == 400
    assert ImportJob.objects.count() == 0


def test_command_dry_run_then_import(tmp_path, province, admins):
    path = write_csv(tmp_path / "cmd.csv", [["编号", "subject", "time", "body"],
                                            ["1", "路灯", "2019-05-01 10:00", "路灯不亮"]])  # fmt: skip
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"编号": "external_id", "subject": "title", "time": "created_at", "body": "content"}))  # fmt: skip
    out = io.StringIO()
    call_command("import_tickets", str(path), by="prov_admin", mapping=str(mapping), dry_run=True, stdout=out)  # fmt: skip
    assert "rows=1 valid=1 created=0 skipped=0 errors=0" in out.getvalue()
    assert Ticket.objects.count() == 0
    out = io.StringIO()
    call_command("import_tickets", str(path), "--by", "prov_admin", "--map", "编号=external_id",
                 "--map", "subject=title", "--map", "time=created_at", "--map", "body=content", stdout=out)  # fmt: skip
    assert "created=1" in out.getvalue()
    assert Ticket.objects.get().external_ref == "cmd:1"


def test_the_administrators_navigation_links_the_import_page(client, province, admins):
    client.force_login(admins["fz_admin"])
    page = client.get("/import/").content.decode()
    assert 'href="/import/"' in page and "历史导入" in page
