"""The topic pages, the marks on the ticket page and at intake, the brief in LibreOffice."""

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document

from hotline.crypto import phone_q
from hotline.tickets.models import Ticket
from hotline.topics.models import Topic, TopicTicket
from tests.web.helpers import as_user

from .conftest import run_worker

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"

FORM = {
    "citizen_phone": "13900000009", "citizen_name": "李四", "appeal_type": "complaint",
    "category_name": "", "region_1": "350102", "address": "鼓楼区东街口", "urgency": "normal",
    "content": "工地欠薪三个月，老板失联。", "action": "register",
    "marks": ["elderly", "low_income"],
}  # fmt: skip


def test_a_supervisor_defines_a_topic_on_the_page_and_sees_the_board(client, province, past,
                                                                     django_capture_on_commit_callbacks):  # fmt: skip
    c = as_user(client, province, "fz_supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/topics/new/", {"center": "fz", "name": "欠薪专项", "keywords": "欠薪，拖欠农民工工资",
                                    "limit_days": "3"})  # fmt: skip
    topic = Topic.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/topics/{topic.pk}/"
    run_worker()

    page = c.get(f"/topics/{topic.pk}/").content.decode()

    assert "存量回溯：已完成（3 件已检查）" in page
    assert "累计 2 件 · 在办 2 件 · 已办结 0 件" in page
    assert past[0].number in page and past[2].number in page and past[1].number not in page


def test_a_bad_topic_form_shows_the_reason_and_makes_nothing(client, province):
    r = as_user(client, province, "fz_supervisor").post(
        "/topics/new/", {"center": "fz", "name": "空"}
    )
    assert r.status_code == 400
    assert "专题名称" in r.content.decode()
    assert Topic.objects.count() == 0


@pytest.mark.parametrize("username", ["xm_agent", "gl_housing_handler"])
def test_a_topic_of_another_center_is_404(client, province, wage_topic, username):
    c = as_user(client, province, username)
    assert c.get(f"/topics/{wage_topic.pk}/").status_code == 404
    assert c.get(f"/topics/{wage_topic.pk}/brief.docx").status_code == 404


def test_a_unit_user_cannot_define_a_topic(client, province):
    r = as_user(client, province, "gl_housing_handler").post(
        "/topics/new/", {"center": "fz", "name": "欠薪专项"}
    )
    assert r.status_code == 404
    assert Topic.objects.count() == 0


def test_the_agents_intake_marks_the_citizen_and_tags_the_topic_at_once(
    client, province, wage_topic
):
    # when the agent registers a wage demand of an elderly, low-income caller
    as_user(client, province, "fz_agent").post("/intake/", FORM)

    # then the ticket carries both marks and the topic, visibly on its page
    t = Ticket.objects.get(phone_q("13900000009"))
    assert TopicTicket.objects.filter(topic=wage_topic, ticket=t).count() == 1
    page = client.get(f"/t/{t.number}/").content.decode()
    assert "重点群体：老年人" in page and "重点群体：低收入" in page
    assert "须电话回访" in page and "专题：欠薪专项" in page


def test_the_weekly_brief_lists_the_weeks_tickets(client, province, wage_topic, past):
    run_worker()
    # the local day: past midnight in China the UTC date is still the day before
    monday = timezone.localdate(Ticket.objects.get(pk=past[0].pk).created_at)
    r = as_user(client, province, "fz_supervisor").get(
        f"/topics/{wage_topic.pk}/brief.docx?week={monday}")  # fmt: skip
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    cells = {c.text for table in Document(io.BytesIO(r.content)).tables
             for row in table.rows for c in row.cells}  # fmt: skip
    assert "「欠薪专项」专题周报" in text
    assert "专题累计诉求2件，已办结0件，在办2件" in text
    assert {past[0].number, past[2].number} <= cells and past[1].number not in cells


def test_the_brief_opens_in_libreoffice(client, province, wage_topic, past, tmp_path):
    missing = [t for t in (SOFFICE, "/usr/bin/pdftotext") if not Path(t).exists()]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"missing {missing}: apt-get install libreoffice-writer poppler-utils")
        pytest.skip(f"missing {missing}")
    run_worker()
    r = as_user(client, province, "fz_supervisor").get(f"/topics/{wage_topic.pk}/brief.docx")
    docx = tmp_path / "brief.docx"
    docx.write_bytes(r.content)
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    flat = "".join(subprocess.run(["pdftotext", str(tmp_path / "brief.pdf"), "-"], check=True,
                                  capture_output=True, text=True).stdout.split())  # fmt: skip
    assert "「欠薪专项」专题周报" in flat
    assert "专题累计诉求2件" in flat
