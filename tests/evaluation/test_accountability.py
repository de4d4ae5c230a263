"""Accountability (效能问责) on a constructed province: the list, its evidence, the Word notice."""

import datetime as dt
from io import BytesIO

import pytest
from docx import Document

from hotline.evaluation import accountability
from hotline.orgs.models import Membership, Role, Unit, User
from hotline.tickets import lifecycle
from hotline.tickets.models import Status

from .conftest import local

T0 = local(2025, 10, 13, 9, 30)  # a Monday in October 2025
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def october(province, make, at):
    """gl_housing: two returns rejected, both then left unreplied past their October deadline.
    fz_housing: one return rejected (below the threshold), then replied in time.
    tj_housing: a ticket acknowledged in September and untouched all October."""
    u = province.users
    tickets = {}

    def rejected_return(t, handler):
        at(T0 + HOUR, lifecycle.request_return, ticket=t, by=u[handler],
           reason="不属于本单位职责范围")  # fmt: skip
        return at(T0 + 2 * HOUR, lifecycle.reject_return, ticket=t, by=u["fz_dispatcher"],
                  reason="属于本单位职责")  # fmt: skip

    tickets["gl"] = [rejected_return(make(Status.DISPATCHED, T0), "gl_housing_handler")
                     for _ in range(2)]  # fmt: skip
    fz = rejected_return(make(Status.DISPATCHED, T0, lead="fz_housing"), "fz_housing_handler")
    fz = at(T0 + 3 * HOUR, lifecycle.acknowledge, ticket=fz, by=u["fz_housing_handler"])
    tickets["fz"] = at(T0 + 4 * HOUR, lifecycle.reply, ticket=fz, by=u["fz_housing_handler"],
                       body="已督促物业维修，电梯已恢复运行。")  # fmt: skip
    tickets["tj"] = make(Status.IN_PROGRESS, local(2025, 9, 1, 10, 0), lead="tj_housing")
    province.tickets = tickets
    return province


def numbers(ts):
    return sorted(t.number for t in ts)


def test_the_list_names_units_with_their_evidence(october):
    units = accountability.units_in_scope(october.users["fz_supervisor"])

    got = accountability.entries(units, "2025-10")

    assert [(e.unit.code, e.counts) for e in got] == [
        ("gl_housing", {"unjustified": 2, "overdue": 2}),
        ("tj_housing", {"idle": 1}),
    ]
    gl, tj = got
    assert gl.evidence == {
        "unjustified": numbers(october.tickets["gl"]),
        "overdue": numbers(october.tickets["gl"]),
    }
    assert tj.evidence == {"idle": [october.tickets["tj"].number]}
    # September: tj's ticket went overdue then; nothing was rejected yet.
    assert [(e.unit.code, e.counts) for e in accountability.entries(units, "2025-09")] == [
        ("tj_housing", {"overdue": 1}),
    ]


def test_notice_is_a_word_document_with_the_units_and_facts(client, october):
    client.force_login(october.users["fz_supervisor"])

    response = client.get("/evaluation/accountability.docx?period=2025-10")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="accountability-2025-10.docx"'
    doc = Document(BytesIO(response.content))
    text = [p.text for p in doc.paragraphs]
    assert text[0] == "福州市12345热线中心文件"
    assert text[1] == "关于2025-10效能问责情况的通报"
    assert [t for t in text if t[:2] in ("一、", "二、", "三、", "四、")] == [
        "一、基本情况", "二、问责单位名单", "三、具体情况", "四、工作要求",
    ]  # fmt: skip
    assert "共有2个承办单位" in text[4]
    assert "推诿（不合理退单）2件，超期未办结2件，周期内未处置1件" in text[4]
    gl = " ".join(numbers(october.tickets["gl"])).replace(" ", "、")
    assert f"1. 鼓楼区住建局：推诿（不合理退单）2件（{gl}）；超期未办结2件（{gl}）。" in text
    assert f"2. 台江区住建局：周期内未处置1件（{october.tickets['tj'].number}）。" in text
    assert text[-2] == "福州市12345热线中心"
    assert text[-1].endswith("日") and "年" in text[-1]
    (table,) = doc.tables
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["序号", "单位", "推诿（不合理退单）", "超期未办结", "周期内未处置", "暗访问责建议"],
        ["1", "鼓楼区住建局", "2", "2", "0", "0"],
        ["2", "台江区住建局", "0", "0", "1", "0"],
    ]


def test_page_lists_units_with_ticket_numbers(client, october):
    client.force_login(october.users["fz_supervisor"])

    html = client.get("/evaluation/accountability/?period=2025-10").content.decode()

    assert 'data-unit="gl_housing"' in html and 'data-unit="tj_housing"' in html
    assert 'data-unit="fz_housing"' not in html
    assert all(t.number in html for t in october.tickets["gl"])
    assert "accountability.docx?period=2025-10" in html


def test_another_city_supervisor_sees_none_of_it(client, october):
    xm = User.objects.create(username="xm_supervisor")
    Membership.objects.create(user=xm, unit=Unit.objects.get(code="xm"), role=Role.SUPERVISOR)
    client.force_login(xm)

    html = client.get("/evaluation/accountability/?period=2025-10").content.decode()
    doc = Document(BytesIO(client.get("/evaluation/accountability.docx?period=2025-10").content))

    assert "鼓楼区住建局" not in html and "本期无需问责的单位" in html
    assert doc.tables[0].rows[1:] == []
    assert "本期无需问责的单位。" in [p.text for p in doc.paragraphs]


@pytest.mark.parametrize(
    ("user", "status"),
    [
        pytest.param(None, 302, id="anonymous-redirect"),
        pytest.param("gl_housing_handler", 404, id="handler-404"),
        pytest.param("fz_analyst", 404, id="analyst-404"),
        pytest.param("fz_dispatcher", 404, id="dispatcher-404"),
    ],
)
@pytest.mark.parametrize("url", ["/evaluation/accountability/", "/evaluation/accountability.docx"])
def test_only_supervisors(client, october, user, status, url):
    if user:
        client.force_login(october.users[user])
    assert client.get(url).status_code == status


def test_bad_period(client, october):
    client.force_login(october.users["fz_supervisor"])

    page = client.get("/evaluation/accountability/?period=2025-13")
    doc = client.get("/evaluation/accountability.docx?period=2025-13")

    assert (page.status_code, doc.status_code) == (400, 400)
    assert "考评周期格式应为" in page.content.decode()
