"""The supervisor's filtered list exports to CSV as well as Excel, within scope (issue #8.6).

(Lives here because the CSV export was added with the import work; the Excel side and the
page itself are tested in tests/web/test_queues.py.)
"""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.orgs.models import Membership, Role, User
from hotline.tickets.models import Status, Ticket
from tests.tickets.factory import ticket_at

pytestmark = pytest.mark.django_db


def late_and_fine(province):
    late = ticket_at(province, Status.IN_PROGRESS, title="=超期未办")
    fine = ticket_at(province, Status.IN_PROGRESS, title="正常办理")
    Ticket.objects.filter(pk=late.pk).update(handle_deadline=timezone.now() - timedelta(hours=2))
    return late, fine


def test_the_page_links_both_exports_with_its_filters(client, province):
    late_and_fine(province)
    client.force_login(province.users["fz_supervisor"])
    page = client.get("/supervise/?tab=overdue&urgency=normal").content.decode()
    assert 'href="/supervise/export.xlsx?tab=overdue&amp;urgency=normal"' in page
    assert 'href="/supervise/export.xlsx?tab=overdue&amp;urgency=normal&amp;format=csv"' in page


def test_the_csv_export_holds_the_filtered_list(client, province):
    late, _fine = late_and_fine(province)
    client.force_login(province.users["fz_supervisor"])
    r = client.get("/supervise/export.xlsx?tab=overdue&format=csv")
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"].endswith('.csv"')
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["工单编号", "标题", "状态"]
    assert [(r[0], r[1]) for r in rows[1:]] == [(late.number, "'=超期未办")]


def test_the_csv_export_keeps_to_the_scope(client, province):
    late_and_fine(province)
    xm = User.objects.create(username="xm_supervisor")
    Membership.objects.create(user=xm, unit=province.units["xm"], role=Role.SUPERVISOR)
    client.force_login(xm)
    rows = list(csv.reader(io.StringIO(client.get("/supervise/export.xlsx?tab=overdue&format=csv").content.decode().lstrip("\ufeff"))))  # fmt: skip
    assert rows[1:] == []
    client.force_login(province.users["fz_agent"])
    assert client.get("/supervise/export.xlsx?tab=overdue&format=csv").status_code == 404
    client.logout()
    assert client.get("/supervise/export.xlsx?format=csv").status_code == 302
