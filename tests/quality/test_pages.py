import pytest

from hotline.quality import sampling, services
from hotline.quality.models import Appeal, Checker, ItemState, Sample, SampleItem, Score

from .conftest import AFTER, MONTH, WEEK, frozen, lines


@pytest.fixture
def item(province, center, week_tickets):
    with frozen(AFTER):
        sampling.draw(center=center, week=WEEK)
    return SampleItem.objects.order_by("id").first()


def page(client, province, username, path, data=None):
    client.force_login(province.users[username])
    return client.post(path, data) if data is not None else client.get(path)


def form(**points) -> dict:
    return {f"points_{x['line']}": x["points"] for x in lines(**points)}


@pytest.mark.parametrize(
    "username, status",
    [("fz_reviewer", 200), ("fz_agent", 200), ("fz_supervisor", 200),
     ("gl_housing_handler", 404), ("fz_housing_leader", 404)],
)  # fmt: skip
def test_the_quality_page_is_for_checkers_agents_and_the_centers_overseers(
    client, province, center, username, status
):
    assert page(client, province, username, "/quality/").status_code == status


def test_a_checker_draws_from_the_page_and_sees_the_worklist(client, province, center,
                                                             week_tickets):  # fmt: skip
    with frozen(AFTER):
        r = page(client, province, "fz_reviewer", "/quality/draw/",
                 {"center": "fz", "week": str(WEEK)})  # fmt: skip
    assert r.status_code == 302
    assert Sample.objects.get().items.count() == 4
    html = page(client, province, "fz_reviewer", "/quality/").content.decode()
    assert "待评分（4）" in html


def _nav(client, province, username) -> str:
    html = page(client, province, username, "/").content.decode()
    return html[html.index('<nav id="nav"') : html.index("</nav>")]


def test_an_appointed_checker_finds_质检_in_the_navigation_with_their_items(
    client, province, center, week_tickets
):
    with frozen(AFTER):
        sampling.draw(center=center, week=WEEK)
    # Reviewers and callback agents have no 质检 entry by their role: the appointment adds it.
    waiting = {}
    for checker in ("fz_reviewer", "fz_callback"):
        n = SampleItem.objects.filter(checker=province.users[checker], state="pending").count()
        nav = _nav(client, province, checker)
        assert nav.count('href="/quality/"') == 1
        badge = f'<span class="badge" data-testid="nav-count">{n}</span>' if n else ""
        assert f'class="queue-link">质检{badge}</a>' in nav
        waiting[checker] = n
    assert sum(waiting.values()) == 4
    assert _nav(client, province, "fz_agent").count('href="/quality/"') == 1  # by role, once
    # Not appointed (or no longer): no entry.
    Checker.objects.filter(user=province.users["fz_callback"]).update(is_active=False)
    assert 'href="/quality/"' not in _nav(client, province, "fz_callback")
    assert 'href="/quality/"' not in _nav(client, province, "fz_housing_leader")


def test_a_draw_for_a_center_the_user_does_not_check_is_404(client, province, center,
                                                            week_tickets):  # fmt: skip
    with frozen(AFTER):
        r = page(client, province, "fz_agent", "/quality/draw/",
                 {"center": "fz", "week": str(WEEK)})  # fmt: skip
    assert r.status_code == 404
    assert Sample.objects.count() == 0


def test_score_appeal_and_decision_through_the_pages(client, province, item):
    first = item.checker.username
    second = "fz_callback" if first == "fz_reviewer" else "fz_reviewer"
    path = f"/quality/items/{item.pk}/"
    assert page(client, province, "fz_agent", path).status_code == 404  # not scored yet

    bad = page(client, province, first, path + "score/", form() | {"points_policy": ""})
    assert bad.status_code == 400 and "缺少评分项：政策解答正确" in bad.content.decode()
    assert Score.objects.count() == 0
    r = page(client, province, first, path + "score/", form(attitude=5) | {"comment": "语气生硬"})
    assert r.status_code == 302

    html = page(client, province, "fz_agent", path).content.decode()
    assert 'data-testid="item-score">85.00' in html and "提交申诉" in html
    assert page(client, province, "fz_dispatcher", path).status_code == 404
    r = page(client, province, "fz_agent", path + "appeal/", {"reason": "用语规范，请复核"})
    assert r.status_code == 302
    assert "提交申诉" not in page(client, province, "fz_agent", path).content.decode()
    assert "提交复核" not in page(client, province, first, path).content.decode()

    r = page(client, province, second, path + "decide/", form())
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.DECIDED and str(item.score) == "100.00"
    assert Appeal.objects.get().state == "changed"
    home = page(client, province, "fz_agent", f"/quality/?month={MONTH}").content.decode()
    assert "月度质检得分：<strong>100.00</strong>" in home


def test_the_monthly_page_shows_the_center_line_faults_and_kappa(client, province, item):
    services.score_item(item=item, by=item.checker, lines=lines(registration=20))

    html = page(client, province, "fz_supervisor",
                f"/quality/monthly/?center=fz&month={MONTH}").content.decode()  # fmt: skip

    assert "<td>登记准确完整</td><td>1</td><td>100.00%</td>" in html
    assert 'data-testid="kappa">—（0 件双评、0 个评分项）' in html
    assert page(client, province, "xm_agent", "/quality/monthly/").status_code == 404


def test_the_monthly_page_reports_a_bad_month(client, province, item):
    r = page(client, province, "fz_supervisor", "/quality/monthly/?center=fz&month=2026-13")
    assert "月份格式应为 2026-10" in r.content.decode()


def test_the_item_page_names_the_stratum_in_words(client, province, item):
    from hotline.catalog.models import Category

    html = page(client, province, "fz_reviewer", f"/quality/items/{item.pk}/").content.decode()
    channel = {"web": "网站", "wechat": "微信"}[item.stratum.split("/")[0]]
    assert f"（分层：{channel} · 未分类）" in html
    top = Category.objects.create(code="99", name="城乡建设", level=1, full_name="城乡建设")
    assert sampling.stratum_text(f"phone/{top.pk}") == f"电话 · {top.name}"
