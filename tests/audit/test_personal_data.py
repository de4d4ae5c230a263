"""Least exposure (issue 18): masked everywhere, the full value an explicit logged action by
role and scope, the append-only access log read by the security auditor alone."""

import csv
import io

import pytest
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from hotline.audit.models import PersonalDataView
from hotline.orgs.models import Membership, Role, User
from hotline.tickets.models import Status
from tests.audit.conftest import assert_append_only
from tests.exchange.police_support import hand_over, police_partner, signed
from tests.tickets.factory import ticket_at

API = "/api/v1"
REASON = "回访需核实联系方式"


@pytest.fixture
def ticket(province):
    return ticket_at(province, Status.IN_PROGRESS)  # 张三, 13800000001, of 福州 center


@pytest.fixture
def auditor(province):
    user = User.objects.create(username="fz_auditor", password="x")
    Membership.objects.create(user=user, unit=province.units["fz"], role=Role.SECURITY_AUDITOR)
    return user


def _reveal(client, user, number, reason=REASON, fields=("citizen_name", "citizen_phone")):
    client.force_login(user)
    return client.post(
        f"{API}/tickets/{number}/personal-data",
        {"fields": list(fields), "reason": reason},
        content_type="application/json",
    )


def test_lists_details_and_exports_show_masked_values(client, province, ticket):
    client.force_login(province.users["fz_dispatcher"])

    (item,) = client.get(f"{API}/tickets").json()["items"]
    detail = client.get(f"{API}/tickets/{ticket.number}").json()
    page = client.get(f"/t/{ticket.number}/").content.decode()
    export = client.get("/exchange/export/?format=csv").content.decode()

    assert (item["citizen_name"], item["citizen_phone"]) == ("张*", "138****0001")
    assert (detail["citizen_name"], detail["citizen_phone"]) == ("张*", "138****0001")
    assert "13800000001" not in page and "138****0001" in page
    assert 'data-testid="reveal"' in page
    assert "13800000001" not in export
    assert PersonalDataView.objects.count() == 0  # looking at masked values logs nothing


def test_a_dispatcher_sees_the_full_values_with_a_reason_and_it_is_logged(client, province, ticket):
    response = _reveal(client, province.users["fz_dispatcher"], ticket.number)

    assert response.status_code == 200
    assert response.json() == {"citizen_name": "张三", "citizen_phone": "13800000001"}
    rows = list(
        PersonalDataView.objects.order_by("field").values_list(
            "user__username", "ticket_id", "ticket_number", "field", "reason", "address"
        )
    )
    assert rows == [
        ("fz_dispatcher", ticket.pk, ticket.number, "citizen_name", REASON, "127.0.0.1"),
        ("fz_dispatcher", ticket.pk, ticket.number, "citizen_phone", REASON, "127.0.0.1"),
    ]


def test_the_page_button_shows_the_full_values_and_logs_them(client, province, ticket):
    client.force_login(province.users["gl_housing_handler"])

    response = client.post(
        f"/audit/reveal/{ticket.number}/",
        {"fields": ["citizen_phone"], "reason": REASON},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "13800000001" in response.content.decode()
    assert list(PersonalDataView.objects.values_list("user__username", "field")) == [
        ("gl_housing_handler", "citizen_phone")
    ]


@pytest.mark.parametrize(
    ("reason", "fields", "field"),
    [
        ("", ["citizen_phone"], "reason"),
        ("看", ["citizen_phone"], "reason"),
        (REASON, [], "fields"),
        (REASON, ["content"], "fields"),
    ],  # fmt: skip
    ids=["no-reason", "one-character", "no-field", "unknown-field"],
)
def test_bad_input_is_refused_naming_the_field_and_logs_nothing(
    client, province, ticket, reason, fields, field
):
    client.force_login(province.users["fz_dispatcher"])

    page = client.post(f"/audit/reveal/{ticket.number}/", {"fields": fields, "reason": reason})

    assert page.status_code == 400
    assert "13800000001" not in page.content.decode()
    assert PersonalDataView.objects.count() == 0


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("xm_dispatcher", 404),
        ("tj_housing_handler", 404),
        ("fz_supervisor", 403),
        ("fz_analyst", 403),
        ("admin", 403),
    ],  # fmt: skip
    ids=["other-city", "other-county-unit", "read-only-role", "analyst", "administrator"],
)
def test_outside_the_scope_or_without_a_working_role_nothing_is_shown(
    client, province, ticket, username, status
):
    response = _reveal(client, province.users[username], ticket.number)

    assert response.status_code == status
    assert "13800000001" not in response.content.decode()
    assert PersonalDataView.objects.count() == 0


def test_anonymous_callers_are_refused(client, ticket):
    api = client.post(
        f"{API}/tickets/{ticket.number}/personal-data",
        {"fields": ["citizen_phone"], "reason": REASON},
        content_type="application/json",
    )
    page = client.post(f"/audit/reveal/{ticket.number}/", {"fields": ["citizen_phone"]})
    log = client.get("/audit/access-log/")

    assert api.status_code == 401
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert log.status_code == 302
    assert PersonalDataView.objects.count() == 0


def test_a_confidential_citizen_is_not_revealed_to_the_handling_unit(client, province):
    t = ticket_at(province, Status.IN_PROGRESS, confidential=True)

    refused = _reveal(client, province.users["gl_housing_handler"], t.number)
    allowed = _reveal(client, province.users["fz_dispatcher"], t.number)

    assert refused.status_code == 403
    assert allowed.json()["citizen_phone"] == "13800000001"
    assert PersonalDataView.objects.filter(user=province.users["gl_housing_handler"]).count() == 0


def test_the_auditor_reviews_and_exports_the_log(client, province, ticket, auditor):
    _reveal(client, province.users["fz_dispatcher"], ticket.number)
    client.force_login(auditor)

    page = client.get("/audit/access-log/").content.decode()
    api = client.get(f"{API}/audit/personal-data-views").json()
    exported = client.get("/audit/access-log/export/").content.decode("utf-8-sig")
    book = load_workbook(io.BytesIO(client.get("/audit/access-log/export/?format=xlsx").content))

    assert ticket.number in page and REASON in page and "fz_dispatcher" in page
    assert [(r["user"], r["field"]) for r in api] == [
        ("fz_dispatcher", "citizen_phone"),
        ("fz_dispatcher", "citizen_name"),
    ] or [(r["user"], r["field"]) for r in api] == [
        ("fz_dispatcher", "citizen_name"),
        ("fz_dispatcher", "citizen_phone"),
    ]
    lines = list(csv.reader(io.StringIO(exported)))
    assert lines[0] == ["查看时间", "查看人", "工单编号", "字段", "查看理由", "来源地址"]
    assert sorted(line[3] for line in lines[1:]) == ["联系电话", "诉求人姓名"]
    assert all(line[2] == ticket.number and line[4] == REASON for line in lines[1:])
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][2] == ticket.number


def test_a_police_partners_read_of_a_hand_over_is_in_the_log_and_its_export(
    client, province, ticket, auditor
):
    partner = police_partner(province, "fz")
    ref = hand_over(client, province.users["fz_dispatcher"], ticket, partner).json()["reference"]
    listed = signed(client, partner, "/api/v1/exchange/police/handovers")  # no citizen in it
    assert PersonalDataView.objects.count() == 0
    case = signed(client, partner, f"/api/v1/exchange/police/handovers/{ref}")
    again = signed(client, partner, f"/api/v1/exchange/police/handovers/{ref}")

    assert (listed.status_code, case.status_code, again.status_code) == (200, 200, 200)
    assert case.json()["citizen_phone"] == "13800000001"
    views = list(PersonalDataView.objects.order_by("pk"))
    assert [(v.user_id, v.partner_id, v.field) for v in views] == [
        (None, partner.pk, "citizen_name"),
        (None, partner.pk, "citizen_phone"),
    ] * 2  # every read, not only the first
    assert all(v.ticket_id == ticket.pk and ref in v.reason for v in views)
    assert views[0].address == "127.0.0.1"
    client.force_login(auditor)
    api = client.get(f"{API}/audit/personal-data-views").json()
    exported = client.get("/audit/access-log/export/").content.decode("utf-8-sig")
    mine = client.get("/audit/access-log/export/?user=fzpolice").content.decode("utf-8-sig")
    page = client.get("/audit/access-log/").content.decode()
    assert {r["user"] for r in api} == {"接入系统:fzpolice"}
    lines = list(csv.reader(io.StringIO(exported)))[1:]
    assert len(lines) == 4
    assert {(line[1], line[2]) for line in lines} == {("接入系统:fzpolice", ticket.number)}
    assert len(list(csv.reader(io.StringIO(mine)))) == 5
    assert "接入系统:fzpolice" in page


def test_a_log_row_names_a_user_or_a_partner_never_both_nor_neither(province, ticket):
    partner = police_partner(province, "fz")
    row = {"at": ticket.created_at, "ticket": ticket, "ticket_number": ticket.number,
           "center_id": ticket.center_id, "field": "citizen_name", "reason": REASON}  # fmt: skip
    for who in ({}, {"user": province.users["fz_agent"], "partner": partner}):
        with pytest.raises(IntegrityError), transaction.atomic():
            PersonalDataView.objects.create(**row, **who)
    assert PersonalDataView.objects.count() == 0


def test_an_auditor_of_another_city_sees_none_of_it(client, province, ticket):
    _reveal(client, province.users["fz_dispatcher"], ticket.number)
    other = User.objects.create(username="xm_auditor", password="x")
    Membership.objects.create(user=other, unit=province.units["xm"], role=Role.SECURITY_AUDITOR)
    client.force_login(other)

    assert client.get(f"{API}/audit/personal-data-views").json() == []
    assert ticket.number not in client.get("/audit/access-log/").content.decode()


@pytest.mark.parametrize("username", ["admin", "fz_dispatcher", "fz_supervisor"])
def test_the_administrator_and_other_roles_cannot_read_the_log(client, province, ticket, username):
    _reveal(client, province.users["fz_dispatcher"], ticket.number)
    client.force_login(province.users[username])

    assert client.get("/audit/access-log/").status_code == 404
    assert client.get("/audit/access-log/export/").status_code == 404
    assert client.get(f"{API}/audit/personal-data-views").status_code == 403
    # nor through the admin site: the log is not registered there at all
    assert client.get("/admin/audit/personaldataview/").status_code in (302, 404)


def test_the_log_cannot_be_changed_or_deleted(client, province, ticket):
    _reveal(client, province.users["fz_dispatcher"], ticket.number)
    assert_append_only(PersonalDataView.objects.first(), "reason")


def test_the_auditor_cannot_change_users(client, province, auditor):
    target = province.users["fz_agent"]
    client.force_login(auditor)

    page = client.get(f"/admin/orgs/user/{target.pk}/change/")
    post = client.post(f"/admin/orgs/user/{target.pk}/change/", {"username": "renamed"})

    assert page.status_code == 302 and "/admin/login/" in page["Location"]
    assert post.status_code == 302
    assert User.objects.get(pk=target.pk).username == "fz_agent"
