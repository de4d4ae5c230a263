import csv
import io

import pytest
from openpyxl import load_workbook

from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at


@pytest.fixture
def tickets(province):
    return [
        ticket_at(province, Status.REGISTERED),
        ticket_at(province, Status.DISPATCHED, title="=HYPERLINK(1)"),
        ticket_at(province, Status.REGISTERED, confidential=True),
    ]


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export_keeps_the_filters(client, province, tickets):
    client.force_login(province.users["fz_dispatcher"])

    rows = _csv(client.get("/api/v1/exchange/export", {"format": "csv", "status": "dispatched"}))

    assert rows[0][:2] == ["工单编号", "状态"]
    assert [r[0] for r in rows[1:]] == [tickets[1].number]
    assert rows[1][8] == "'=HYPERLINK(1)"  # a formula is written as text


def test_export_is_within_the_users_scope(client, province, tickets):
    client.force_login(province.users["gl_housing_handler"])

    rows = _csv(client.get("/api/v1/exchange/export", {"format": "csv"}))

    assert [r[0] for r in rows[1:]] == [tickets[1].number]  # the one dispatched to it

    client.force_login(province.users["xm_dispatcher"])
    assert len(_csv(client.get("/api/v1/exchange/export", {"format": "csv"}))) == 1


def test_xlsx_export(client, province, tickets):
    client.force_login(province.users["fz_dispatcher"])

    response = client.get("/api/v1/exchange/export")

    sheet = load_workbook(io.BytesIO(response.content)).active
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert numbers == [t.number for t in reversed(tickets)]
    confidential = next(r for r in sheet.iter_rows(values_only=True) if r[0] == tickets[2].number)
    # Exports show what the list shows: masked; the full number is an explicit, logged view.
    assert confidential[11] == "138****0001"
    assert "13800000001" not in {cell for row in sheet.iter_rows(values_only=True) for cell in row}


def test_export_needs_authentication(client, province):
    assert client.get("/api/v1/exchange/export").status_code == 401
