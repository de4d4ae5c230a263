"""专题 in a real browser: a supervisor defines a topic, the worker tags the past tickets (the
board shows the progress done), an agent registers a new matching demand with a citizen mark
and it is tagged at once, and the week's brief downloaded from the board opens in LibreOffice."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hotline.crypto import phone_q
from hotline.tickets.models import Ticket
from hotline.topics.models import Topic, TopicTicket
from tests.topics.conftest import past, run_worker  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("past")]
SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def go(page, path):
    page.goto(page.base + path)


def test_a_topic_is_created_past_and_new_tickets_tagged_and_its_brief_opens(as_role, shot,
                                                                            tmp_path):  # fmt: skip
    supervisor = as_role("fz_supervisor")
    go(supervisor, "/topics/")
    supervisor.fill("#t-name", "欠薪专项")
    supervisor.fill("#t-keywords", "欠薪，拖欠农民工工资")
    supervisor.get_by_role("button", name="设立专题").click()
    supervisor.get_by_text("专题：欠薪专项").wait_for()
    topic = Topic.objects.get(name="欠薪专项")

    run_worker()  # the background process runs the queued retroactive tagging
    supervisor.reload()
    assert supervisor.get_by_test_id("progress").inner_text() == "存量回溯：已完成（3 件已检查）"
    assert "累计 2 件" in supervisor.get_by_test_id("figures").inner_text()

    agent = as_role("fz_agent")
    go(agent, "/intake/")
    agent.fill("#citizen_phone", "13900000009")
    agent.fill("#content", "饭店老板欠薪两个月不发。")
    agent.check("input[name=marks][value=elderly]")
    agent.check("input[name=appeal_type][value=complaint]")
    agent.get_by_role("button", name="登记并转派单（Ctrl+Enter）").click()
    agent.get_by_text("已受理，工单编号").wait_for()
    new = Ticket.objects.get(phone_q("13900000009"))
    assert TopicTicket.objects.filter(topic=topic, ticket=new).exists()
    go(agent, f"/t/{new.number}/")
    assert agent.get_by_test_id("citizen-mark").inner_text() == "重点群体：老年人"

    supervisor.reload()
    assert "累计 3 件" in supervisor.get_by_test_id("figures").inner_text()
    shot(supervisor, "topics-01-board")
    with supervisor.expect_download() as download:
        supervisor.get_by_test_id("brief").click()
    docx = tmp_path / "brief.docx"
    download.value.save_as(docx)
    if not Path(SOFFICE).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("missing soffice: apt-get install libreoffice-writer")
        pytest.skip("missing soffice")
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    flat = "".join(subprocess.run(["pdftotext", str(tmp_path / "brief.pdf"), "-"], check=True,
                                  capture_output=True, text=True).stdout.split())  # fmt: skip
    assert "「欠薪专项」专题周报" in flat
    assert "本周新增专题诉求3件" in flat and "专题累计诉求3件" in flat
