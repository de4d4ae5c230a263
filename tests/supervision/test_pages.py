"""The ledger page, its Excel export, the notifications page and the workbench bell."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from hotline.supervision import notify, services
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at


@pytest.fixture
def item(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    return services.open_item(ticket=t, by=province.users["fz_supervisor"], reason="请加快办理")


def test_ledger_page_and_export(client, province, item):
    client.force_login(province.users["fz_supervisor"])

    page = client.get("/supervision/ledger/?state=open")
    export = client.get("/supervision/ledger.xlsx?state=open")

    assert page.status_code == 200
    assert item.ticket.number in page.content.decode()
    rows = list(load_workbook(BytesIO(export.content)).active.values)
    assert rows[0][:3] == ("序号", "工单编号", "标题")
    assert rows[1][1:4] == (item.ticket.number, "小区电梯长期故障", "鼓楼区住建局")
    assert rows[1][6] == "督办中"


def test_ledger_is_scoped(client, province, item):
    client.force_login(province.users["xm_dispatcher"])

    page = client.get("/supervision/ledger/")
    export = client.get("/supervision/ledger.xlsx")

    assert item.ticket.number not in page.content.decode()
    assert len(list(load_workbook(BytesIO(export.content)).active.values)) == 1


def test_bell_counts_unread_and_read_all_clears(client, province):
    user = province.users["gl_housing_handler"]
    notify.notify(user=user, title="测试通知")
    notify.notify(user=user, title="第二条")
    client.force_login(user)

    before = client.get("/supervision/bell/").content.decode()
    client.post("/supervision/notifications/read/")
    after = client.get("/supervision/bell/").content.decode()

    assert '<span class="badge">2</span>' in before
    assert "badge" not in after
    assert 'id="bell"' in client.get("/").content.decode()


def test_pages_need_login(client):
    assert client.get("/supervision/ledger/").status_code == 302
