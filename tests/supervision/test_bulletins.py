"""典型曝光: supervisors choose named bad cases from review send-backs, spot-check faults and
暗访 findings; the center's leader approves (or sends back), a supervisor issues; the issued
Word file names the unit, what it replied, why it is wrong, the handler and the leader, and
opens in LibreOffice. Anonymous, other-city and no-role users are refused everywhere."""

import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.orgs.models import Membership, Role, User
from hotline.quality import sampling
from hotline.quality import services as quality
from hotline.quality.models import SampleItem
from hotline.supervision import bulletins, cases, field_checks
from hotline.supervision.models import Bulletin, BulletinCase, BulletinState, Notification
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, TicketEvent
from tests.quality.conftest import AFTER, WEEK, center, lines, week_tickets  # noqa: F401
from tests.tickets.factory import ticket_at

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
API = "/api/v1/supervision/bulletins"
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _person(province, name, unit, role, full_name):
    user = User.objects.create(username=name, full_name=full_name)
    Membership.objects.create(user=user, unit=province.units[unit], role=role)
    province.users[name] = user
    return user


@pytest.fixture
def people(province):
    _person(province, "fz_leader", "fz", Role.LEADER, "王主任")
    _person(province, "gl_housing_leader", "gl_housing", Role.LEADER, "赵局长")
    _person(province, "xm_supervisor", "xm", Role.SUPERVISOR, "厦门督查")
    _person(province, "nobody", "fz", Role.AGENT, "无关").memberships.all().delete()
    province.users["gl_housing_handler"].full_name = "张承办"
    province.users["gl_housing_handler"].save()
    return province.users


@pytest.fixture
def sendback(province, people):
    t = ticket_at(province, Status.REPLIED)
    lifecycle.reject_reply(ticket=t, by=people["fz_reviewer"], reason="答复与事实不符")
    return TicketEvent.objects.get(ticket=t, action="reject_reply")


@pytest.fixture
def draft(people):
    return bulletins.create(by=people["fz_supervisor"], title="关于办理不实典型问题的通报")


def test_a_sendback_candidate_carries_reply_handler_and_leader(people, sendback):
    found = cases.candidates(people["fz_supervisor"], LONG_AGO)

    [c] = found["sendback"]
    assert (c.ref, c.unit.code, c.ticket, c.handler, c.leader) == (
        sendback.pk, "gl_housing", sendback.ticket, "张承办", "赵局长")  # fmt: skip
    assert c.reply == "已督促物业维修，电梯已恢复运行。"
    assert c.why_wrong == "审核退回：答复与事实不符"
    assert cases.candidates(people["xm_supervisor"], LONG_AGO)["sendback"] == []


def test_a_bulletin_is_drafted_approved_issued_and_opens(people, sendback, draft, tmp_path):
    case = bulletins.add_case(bulletin=draft, by=people["fz_supervisor"], source="sendback",
                              ref=sendback.pk, why_wrong="电梯仍未修复，答复称已恢复运行，弄虚作假")  # fmt: skip
    bulletins.submit(bulletin=draft, by=people["fz_supervisor"])
    assert Notification.objects.filter(recipient=people["fz_leader"]).count() == 1
    bulletins.decide(bulletin=draft, by=people["fz_leader"], approve=True, note="同意印发")
    issued = bulletins.issue(bulletin=draft, by=people["fz_supervisor"])

    assert (issued.state, issued.serial, issued.approved_by) == (
        BulletinState.ISSUED, 1, people["fz_leader"])  # fmt: skip
    assert (case.handler, case.leader, case.unit.code) == ("张承办", "赵局长", "gl_housing")
    text = "\n".join(p.text for p in Document(io.BytesIO(bytes(issued.document))).paragraphs)
    assert "典型曝光〔" in text and "第1期" in text
    assert "一、鼓楼区住建局（工单" in text
    assert "单位答复/表现：已督促物业维修，电梯已恢复运行。" in text
    assert "存在问题：电梯仍未修复，答复称已恢复运行，弄虚作假" in text
    assert "点名批评：承办人张承办；责任领导赵局长。" in text
    opens_in_libreoffice(bytes(issued.document), tmp_path, "鼓楼区住建局")


def opens_in_libreoffice(data: bytes, tmp_path, expect: str):
    """Convert the .docx with LibreOffice headless and find `expect` and 点名批评 in its text
    (skipped without soffice, failed without it under CI=true)."""
    missing = [t for t in (SOFFICE, "/usr/bin/pdftotext") if not Path(t).exists()]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"missing {missing}: apt-get install libreoffice-writer poppler-utils")
        pytest.skip(f"missing {missing}")
    docx = tmp_path / "bulletin.docx"
    docx.write_bytes(data)
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    flat = "".join(subprocess.run(["pdftotext", str(tmp_path / "bulletin.pdf"), "-"], check=True,
                                  capture_output=True, text=True).stdout.split())  # fmt: skip
    assert expect in flat
    assert "点名批评" in flat


def test_a_spot_check_fault_is_a_candidate_naming_the_agent(people, center, week_tickets, draft):  # noqa: F811
    sampling.draw(center=center, week=WEEK, by=people["fz_reviewer"], now=AFTER)
    item = SampleItem.objects.filter(sample__center=center).order_by("id").first()
    item.checker = people["fz_reviewer"]
    item.save(update_fields=["checker"])
    scored = lines(registration=18)
    scored[0]["note"] = "诉求地址漏登"
    quality.score_item(item=item, by=people["fz_reviewer"], lines=scored, comment="登记不完整",
                       now=AFTER)  # fmt: skip

    [c] = cases.candidates(people["fz_supervisor"], LONG_AGO)["quality"]
    assert (c.unit.code, c.handler, c.leader) == ("fz", "fz_agent", "王主任")
    assert c.reply.endswith("：诉求地址漏登")
    bulletins.add_case(bulletin=draft, by=people["fz_supervisor"], source="quality", ref=c.ref,
                       why_wrong="登记遗漏关键信息，导致派单错误")  # fmt: skip
    assert BulletinCase.objects.get().source == "quality"


def test_a_field_finding_is_a_candidate(province, people, draft):
    check = field_checks.record(
        by=people["fz_supervisor"], kind="phone", unit=province.units["gl_housing"],
        checked_at=timezone.now(), findings="响铃60秒无人接听", phone_number="0591-1234567",
        ring_seconds=60, score=20,
    )  # fmt: skip
    [c] = cases.candidates(people["fz_supervisor"], LONG_AGO)["field"]
    assert (c.ref, c.unit.code, c.leader, c.handler) == (check.pk, "gl_housing", "赵局长", "—")
    assert c.reply == "拨打0591-1234567，响铃60秒，无人接听。响铃60秒无人接听"
    bulletins.add_case(bulletin=draft, by=people["fz_supervisor"], source="field", ref=check.pk,
                       why_wrong="工作时间电话无人接听")  # fmt: skip


@pytest.mark.parametrize(
    ("step", "error", "field"),
    [
        pytest.param(lambda u, b, e: bulletins.add_case(bulletin=b, by=u["fz_supervisor"],
                     source="sendback", ref=e.pk, why_wrong="错"), InvalidInput, "why_wrong",
                     id="reason-too-short"),
        pytest.param(lambda u, b, e: bulletins.add_case(bulletin=b, by=u["fz_supervisor"],
                     source="sendback", ref=e.pk + 999, why_wrong="答复不实"), NotFound, "ref",
                     id="unknown-source-record"),
        pytest.param(lambda u, b, e: bulletins.add_case(bulletin=b, by=u["fz_supervisor"],
                     source="rumour", ref=e.pk, why_wrong="答复不实"), NotFound, "ref",
                     id="unknown-source-kind"),
        pytest.param(lambda u, b, e: bulletins.add_case(bulletin=b, by=u["fz_leader"],
                     source="sendback", ref=e.pk, why_wrong="答复不实"), Forbidden, None,
                     id="leader-does-not-draft"),
        pytest.param(lambda u, b, e: bulletins.submit(bulletin=b, by=u["fz_supervisor"]),
                     InvalidInput, "cases", id="empty-draft-not-submitted"),
        pytest.param(lambda u, b, e: bulletins.issue(bulletin=b, by=u["fz_supervisor"]),
                     IllegalTransition, "state", id="draft-not-issued"),
        pytest.param(lambda u, b, e: bulletins.decide(bulletin=b, by=u["fz_leader"],
                     approve=True), IllegalTransition, "state", id="draft-not-approved"),
        pytest.param(lambda u, b, e: bulletins.create(by=u["fz_supervisor"], title="通报"),
                     InvalidInput, "title", id="title-too-short"),
        pytest.param(lambda u, b, e: bulletins.create(by=u["fz_leader"], title="关于问题的通报"),
                     Forbidden, None, id="leader-does-not-create"),
    ],
)  # fmt: skip
def test_refused_steps_change_nothing(people, sendback, draft, step, error, field):
    with pytest.raises(error) as err:
        step(people, draft, sendback)
    assert err.value.field == field
    assert err.value.message_zh and err.value.message_en
    draft.refresh_from_db()
    assert (draft.state, BulletinCase.objects.count(), Bulletin.objects.count()) == (
        BulletinState.DRAFT, 0, 1)  # fmt: skip


def test_the_approval_belongs_to_the_leader_who_may_send_it_back(people, sendback, draft):
    u = people
    bulletins.add_case(bulletin=draft, by=u["fz_supervisor"], source="sendback", ref=sendback.pk,
                       why_wrong="答复不实")  # fmt: skip
    with pytest.raises(InvalidInput):
        bulletins.add_case(bulletin=draft, by=u["fz_supervisor"], source="sendback",
                           ref=sendback.pk, why_wrong="再选一次")  # fmt: skip
    bulletins.submit(bulletin=draft, by=u["fz_supervisor"])
    with pytest.raises(Forbidden):
        bulletins.decide(bulletin=draft, by=u["fz_supervisor"], approve=True)
    with pytest.raises(InvalidInput) as err:
        bulletins.decide(bulletin=draft, by=u["fz_leader"], approve=False, note="")
    assert err.value.field == "note"
    with pytest.raises(IllegalTransition):
        bulletins.add_case(bulletin=draft, by=u["fz_supervisor"], source="sendback",
                           ref=sendback.pk, why_wrong="送审后不能改")  # fmt: skip

    back = bulletins.decide(bulletin=draft, by=u["fz_leader"], approve=False, note="案例不够典型")
    assert (back.state, back.review_note, back.approved_by) == (
        BulletinState.DRAFT, "案例不够典型", None)  # fmt: skip


def test_other_cities_and_no_role_do_not_see_a_bulletin(people, draft):
    for who in ("xm_supervisor", "nobody", "gl_housing_handler"):
        with pytest.raises(NotFound):
            bulletins.get_bulletin(people[who], draft.pk)
    assert bulletins.get_bulletin(people["fz_leader"], draft.pk) == draft
    assert bulletins.get_bulletin(people["prov_supervisor"], draft.pk) == draft  # the center above


def test_candidates_since_any_offset_is_read_in_utc_and_out_of_range_is_named(
    client, people, sendback
):
    client.force_login(people["fz_supervisor"])
    url = "/api/v1/supervision/bulletin-candidates"
    # PostgreSQL refuses offsets beyond ±15:59; ISO allows up to ±23:59
    r = client.get(url, {"since": "2026-01-01T08:00:00+22:52"})
    assert r.status_code == 200, r.content
    assert [c["ref"] for c in r.json()] == [sendback.pk]
    r = client.get(url, {"since": "0001-01-01T00:00:00+01:00"})
    assert (r.status_code, r.json()["field"]) == (400, "since")
    assert r.json()["message_zh"] == "起始时间超出范围"


def test_the_api_walks_the_bulletin_to_its_document(client, people, sendback):
    client.force_login(people["fz_supervisor"])
    r = client.post(API, {"title": "关于办理不实典型问题的通报"}, content_type="application/json")
    assert r.status_code == 201, r.content
    bid = r.json()["id"]
    found = client.get("/api/v1/supervision/bulletin-candidates",
                       {"since": "2026-01-01T00:00:00Z"}).json()  # fmt: skip
    assert [(c["source"], c["ref"]) for c in found] == [("sendback", sendback.pk)]
    r = client.post(f"{API}/{bid}/cases", {"source": "sendback", "ref": sendback.pk,
                    "why_wrong": "答复不实"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    assert client.post(f"{API}/{bid}/submit").json()["state"] == "submitted"
    r = client.get(f"{API}/{bid}/document")
    assert r.status_code == 409
    client.force_login(people["fz_leader"])
    r = client.post(f"{API}/{bid}/decide", {"approve": True}, content_type="application/json")
    assert r.json()["state"] == "approved"
    client.force_login(people["fz_supervisor"])
    assert client.post(f"{API}/{bid}/issue").json()["serial"] == 1
    r = client.get(f"{API}/{bid}/document")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert r.content.startswith(b"PK")


def test_api_bad_input_is_a_clear_error(client, people, draft):
    client.force_login(people["fz_supervisor"])
    r = client.post(f"{API}/{draft.pk}/submit")
    assert (r.status_code, r.json()["field"], r.json()["message_zh"]) == (
        400, "cases", "通报至少要有一个案例")  # fmt: skip
    assert r.json()["message_en"] == "add at least one case"
    r = client.get(API, {"state": "lost"})
    assert (r.status_code, r.json()["field"]) == (400, "state")


def _refused(r) -> bool:
    """404 for a signed-in user without a part, the login page for an anonymous one."""
    return r.status_code == 404 or (r.status_code == 302 and r.url.startswith("/login"))


@pytest.mark.parametrize("who", ["anonymous", "xm_supervisor", "nobody", "gl_housing_handler"])
def test_api_and_pages_refuse_who_has_no_part(client, people, sendback, draft, who):
    if who != "anonymous":
        client.force_login(people[who])
    b = draft.pk
    posts = [(f"{API}/{b}/cases", {"source": "sendback", "ref": sendback.pk, "why_wrong": "越权"}),
             (f"{API}/{b}/submit", {}), (f"{API}/{b}/decide", {"approve": True}),
             (f"{API}/{b}/issue", {})]  # fmt: skip
    if who != "xm_supervisor":  # 厦门's supervisor drafts for 厦门, which is theirs to do
        posts.append((API, {"title": "越权起草的通报"}))
    for url, body in posts:
        r = client.post(url, body, content_type="application/json")
        assert r.status_code in {401, 403, 404}, (url, r.status_code)
    for url in (f"{API}/{b}", f"{API}/{b}/document"):
        assert client.get(url).status_code in {401, 403, 404}, url
    r = client.get("/api/v1/supervision/bulletin-candidates?since=2026-01-01T00:00:00Z")
    if who == "xm_supervisor":  # their own region's, none of 福州's
        assert (r.status_code, r.json()) == (200, [])
    else:
        assert r.status_code in {401, 403, 404}
    listed = client.get(API)
    assert listed.status_code in {401, 403} or listed.json() == []
    for url in ("/supervision/bulletins/", f"/supervision/bulletins/{b}/",
                f"/supervision/bulletins/{b}.docx"):  # fmt: skip
        r = client.get(url)
        if who == "xm_supervisor" and url == "/supervision/bulletins/":  # theirs, empty
            assert r.status_code == 200 and draft.title not in r.content.decode()
            continue
        assert _refused(r), (url, r.status_code)
    for action in ("cases", "submit", "approve", "send_back", "issue", "remove"):
        r = client.post(f"/supervision/bulletins/{b}/{action}/", {"source": "sendback",
                        "ref": sendback.pk, "why_wrong": "越权操作", "note": "越权"})  # fmt: skip
        assert _refused(r), (action, r.status_code)
    if who != "xm_supervisor":
        r = client.post("/supervision/bulletins/new/", {"title": "越权起草的通报"})
        assert _refused(r)
    draft.refresh_from_db()
    assert (draft.state, BulletinCase.objects.count(), Bulletin.objects.count()) == (
        BulletinState.DRAFT, 0, 1)  # fmt: skip


def test_the_pages_draft_approve_and_issue(client, people, sendback):
    client.force_login(people["fz_supervisor"])
    r = client.post("/supervision/bulletins/new/", {"title": "通报"})
    assert r.status_code == 400
    assert "标题至少4个字（字段 title）" in r.content.decode()
    client.post("/supervision/bulletins/new/", {"title": "关于办理不实典型问题的通报"})
    b = Bulletin.objects.get()
    page = client.get(f"/supervision/bulletins/{b.pk}/").content.decode()
    assert f'data-testid="choose-sendback-{sendback.pk}"' in page
    client.post(f"/supervision/bulletins/{b.pk}/cases/", {"source": "sendback", "ref": sendback.pk,
                "why_wrong": "答复不实，电梯仍未修复"})  # fmt: skip
    client.post(f"/supervision/bulletins/{b.pk}/submit/")
    client.force_login(people["fz_leader"])
    client.post(f"/supervision/bulletins/{b.pk}/approve/", {"note": "同意"})
    client.force_login(people["fz_supervisor"])
    client.post(f"/supervision/bulletins/{b.pk}/issue/")
    r = client.get(f"/supervision/bulletins/{b.pk}.docx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    b.refresh_from_db()
    assert (b.state, b.serial) == (BulletinState.ISSUED, 1)
