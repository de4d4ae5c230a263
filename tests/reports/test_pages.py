"""Report pages and downloads: who may read which region's report (rule 2), the command."""

import io

import docx
import pytest
from django.core.management import CommandError, call_command

from hotline.orgs import scope
from hotline.reports import access, service
from hotline.reports.periods import parse

OCT_DOCX = "/reports/{code}/monthly/2026-10.docx"


@pytest.fixture(autouse=True)
def _var(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # reports are kept under VAR_DIR/reports


def login(client, province, username):
    client.force_login(province.users[username])
    return client


def test_anonymous_is_sent_to_login(client, province):
    for url in ("/reports/", "/reports/dashboard/", OCT_DOCX.format(code="350100")):
        r = client.get(url)
        assert r.status_code == 302 and r.url.startswith("/login/")


@pytest.mark.parametrize(
    "username", ["gl_housing_handler", "fz_housing_leader"], ids=["handler", "leader"]
)
def test_handling_units_have_no_reports(client, province, username):
    login(client, province, username)
    assert client.get("/reports/").status_code == 404
    assert client.get("/reports/dashboard/").status_code == 404
    assert client.get(OCT_DOCX.format(code="350100")).status_code == 404
    assert client.post("/reports/350100/monthly/2026-10/generate").status_code == 404


@pytest.mark.parametrize(
    ("username", "readable", "hidden"),
    [
        ("fz_supervisor", ["350100", "350102"], ["350000", "350200"]),
        ("fz_agent", ["350100"], ["350000", "350203"]),
        ("xm_dispatcher", ["350200", "350203"], ["350100", "350000"]),
        ("prov_supervisor", ["350000", "350100", "350200"], []),
    ],
    ids=["city-supervisor", "city-agent", "other-city", "province"],
)
def test_region_scope(client, province, username, readable, hidden):
    login(client, province, username)
    for code in readable:
        r = client.get(OCT_DOCX.format(code=code))
        assert r.status_code == 200, code
        assert r["Content-Disposition"].startswith("attachment")
    for code in hidden:
        assert client.get(OCT_DOCX.format(code=code)).status_code == 404, code
        assert client.post(f"/reports/{code}/monthly/2026-10/generate").status_code == 404


def test_report_population_is_inside_the_users_scope(october):
    p = october.p
    user = p.users["fz_supervisor"]
    counted = set(access.region_tickets(p.regions["350100"]).values_list("pk", flat=True))
    visible = set(scope.visible_tickets(user).values_list("pk", flat=True))
    assert counted and counted <= visible


def test_index_lists_periods_and_download_serves_the_figures(client, october):
    login(client, october.p, "fz_analyst")
    page = client.get("/reports/?region=350100")
    assert page.status_code == 200
    text = page.content.decode()
    assert "福州市" in text and "2026年10月" in text and "2026年第三季度" in text
    assert client.get("/reports/?region=350200").status_code == 404

    r = client.get(OCT_DOCX.format(code="350100"))
    body = "\n".join(
        p.text for p in docx.Document(io.BytesIO(b"".join(r.streaming_content))).paragraphs
    )
    # 福州: the seven October tickets of 鼓楼区 and 台江区; September six; October 2025 one.
    assert "共受理诉求7件，上期6件，环比增长16.7%；去年同期1件，同比增长600.0%" in body
    assert "已生成" in client.get("/reports/?region=350100").content.decode()

    html = client.get("/reports/350100/monthly/2026-10.html")
    assert html["Content-Type"].startswith("text/html")
    # the stored report keeps its own stylesheet; scripts stay forbidden (docs/security.md)
    policy = html["Content-Security-Policy"]
    # the directives' order differs between processes: compared one by one
    directives = {d.strip() for d in policy.split(";")}
    assert {"style-src 'self' 'unsafe-inline'", "script-src 'self'"} <= directives
    assert "共受理诉求7件" in b"".join(html.streaming_content).decode()


def test_quarterly_download_and_regenerate(client, october):
    login(client, october.p, "prov_supervisor")
    r = client.get("/reports/350000/quarterly/2026-Q4.docx")
    assert r.status_code == 200
    period = parse("quarterly", "2026Q4")
    first = service.cached(period, october.p.regions["350000"])
    again = client.post("/reports/350000/quarterly/2026-Q4/generate")
    assert again.status_code == 302 and again.url == "/reports/?region=350000"
    assert service.cached(period, october.p.regions["350000"]) >= first
    assert client.get("/reports/350000/quarterly/2026-Q4/generate").status_code == 405


@pytest.mark.parametrize("url", ["/reports/350100/monthly/2026-13.docx",
                                 "/reports/350100/quarterly/2026-Q5.docx",
                                 "/reports/999999/monthly/2026-10.docx"])  # fmt: skip
def test_bad_period_or_region_is_not_found(client, province, url):
    login(client, province, "prov_supervisor")
    assert client.get(url).status_code == 404


def test_command_writes_both_files(october, tmp_path, capsys):
    call_command("report", "monthly", "--month", "2026-10", "--region", "350100",
                 "--output", str(tmp_path / "out"))  # fmt: skip
    out = capsys.readouterr().out
    assert "福州市 2026年10月：受理 7 件" in out
    files = sorted(x.name for x in (tmp_path / "out").iterdir())
    assert files == ["12345-350100-monthly-2026-10.docx", "12345-350100-monthly-2026-10.html"]
    call_command("report", "quarterly", "--quarter", "2026Q3", "--output", str(tmp_path / "q"))
    assert "福建省 2026年第三季度：受理 6 件" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["monthly", "--month", "2026/10"], "month: 月份格式应为 2026-10"),
        (["quarterly", "--quarter", "2026Q5"], "quarter: 季度格式应为 2026Q3"),
        (["monthly", "--month", "2026-10", "--region", "999999"], "region: 行政区划代码不存在"),
    ],
    ids=["month", "quarter", "region"],
)
def test_command_bad_input_names_the_field(province, tmp_path, args, message):
    with pytest.raises(CommandError) as err:
        call_command("report", *args, "--output", str(tmp_path))
    assert message in str(err.value)
    assert not list(tmp_path.iterdir())
