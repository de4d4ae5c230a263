"""工单打印 and the inbox's Excel export: within scope, masked as on screen, refused to others."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from hotline.orgs.models import User
from hotline.tickets.api import ticket_out
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .helpers import as_user, text

pytestmark = pytest.mark.django_db


def sheet_rows(response) -> list[tuple]:
    wb = load_workbook(BytesIO(response.content), read_only=True)
    return list(wb.worksheets[0].iter_rows(values_only=True))


@pytest.fixture
def nobody(client):
    """Signed in, but without any post (no membership, no role)."""
    user = User.objects.create(username="no_post")
    client.force_login(user)
    return client


# ---- 工单打印 ---------------------------------------------------------------------------------


def test_the_print_sheet_shows_the_ticket_and_its_history(client, province):
    t = ticket_at(province, Status.REPLIED)
    page = text(as_user(client, province, "gl_housing_handler").get(f"/t/{t.number}/print/"))
    assert "12345政务服务便民热线工单" in page
    assert f'<strong data-testid="print-number">{t.number}</strong>' in page
    assert "已督促物业维修，电梯已恢复运行。" in page
    assert "承办单位（盖章）" in page
    assert page.count("<tr><td>") == t.events.count()  # one row per step of the timeline


def test_the_print_sheet_masks_a_confidential_citizen_for_the_unit(client, province):
    t = ticket_at(province, Status.IN_PROGRESS, confidential=True, citizen_phone="13812345678")
    unit = text(as_user(client, province, "gl_housing_handler").get(f"/t/{t.number}/print/"))
    assert '<td data-testid="print-phone">138****5678</td>' in unit
    assert "13812345678" not in unit
    # The center sees what its ticket page shows (the masking rules live in one place).
    shown = ticket_out(province.users["fz_dispatcher"], t)["citizen_phone"]
    center = text(as_user(client, province, "fz_dispatcher").get(f"/t/{t.number}/print/"))
    assert f'<td data-testid="print-phone">{shown}</td>' in center


@pytest.mark.parametrize(
    "who", ["tj_housing_handler", "xm_housing_handler"], ids=["other-county", "other-city"]
)
def test_the_print_sheet_of_a_ticket_out_of_scope_is_not_found(client, province, who):
    t = ticket_at(province, Status.IN_PROGRESS)
    assert as_user(client, province, who).get(f"/t/{t.number}/print/").status_code == 404


def test_the_print_sheet_is_refused_without_a_post_or_a_sign_in(client, province, nobody):
    t = ticket_at(province, Status.IN_PROGRESS)
    assert nobody.get(f"/t/{t.number}/print/").status_code == 404
    nobody.logout()
    response = nobody.get(f"/t/{t.number}/print/")
    assert (response.status_code, response.url.split("?")[0]) == (302, "/login/")


# ---- the inbox in Excel -----------------------------------------------------------------------


def test_the_inbox_export_holds_the_tab_as_shown(client, province):
    mine = ticket_at(province, Status.DISPATCHED)
    doing = ticket_at(province, Status.IN_PROGRESS)
    other_unit = ticket_at(province, Status.DISPATCHED, lead="gl_town")
    response = as_user(client, province, "gl_housing_handler").get("/inbox/export.xlsx?tab=ack")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith('attachment; filename="inbox-')
    rows = sheet_rows(response)
    assert rows[0] == (
        "工单编号",
        "标题",
        "状态",
        "紧急程度",
        "区划",
        "受理时间",
        "时限",
        "剩余时间",
    )
    numbers = [r[0] for r in rows[1:]]
    assert numbers == [mine.number]
    assert doing.number not in numbers and other_unit.number not in numbers
    assert rows[1][1:5] == ("小区电梯长期故障", "待签收", mine.get_urgency_display(), "鼓楼区")


def test_a_title_that_looks_like_a_formula_is_exported_as_text(client, province):
    ticket_at(province, Status.DISPATCHED, title='=HYPERLINK("http://x.example","点我")')
    rows = sheet_rows(
        as_user(client, province, "gl_housing_handler").get("/inbox/export.xlsx?tab=ack")
    )
    assert rows[1][1] == '\'=HYPERLINK("http://x.example","点我")'


def test_another_citys_unit_exports_none_of_these_tickets(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    rows = sheet_rows(
        as_user(client, province, "xm_housing_handler").get("/inbox/export.xlsx?tab=ack")
    )
    assert t.number not in [r[0] for r in rows[1:]]


def test_the_inbox_export_is_refused_to_others(client, province, nobody):
    assert nobody.get("/inbox/export.xlsx").status_code == 404
    as_user(client, province, "fz_agent")  # a post, but not in a handling unit
    assert client.get("/inbox/export.xlsx").status_code == 404
    as_user(client, province, "gl_housing_handler")
    assert client.get("/inbox/export.xlsx?tab=nope").status_code == 404
    client.logout()
    assert client.get("/inbox/export.xlsx").status_code == 302
