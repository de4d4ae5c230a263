"""质量抽查 in a real browser: a checker draws the week and scores an item, the agent sees the
result and appeals, a second checker decides, and the agent's monthly score changes."""

import pytest

from hotline.quality.models import AppealState, ItemState, SampleItem
from tests.quality.conftest import WEEK, center, week_tickets  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("center", "week_tickets"),
]


def go(page, path):
    page.goto(page.base + path)


def score_form(page, points: dict):
    for code, value in points.items():
        page.fill(f"#p-{code}", str(value))


def test_a_week_is_drawn_scored_appealed_and_decided(as_role, shot):
    checker = as_role("fz_reviewer")
    go(checker, "/quality/")
    checker.fill("#draw-week", WEEK.isoformat())
    checker.get_by_role("button", name="抽取样本").click()
    checker.get_by_text("已抽取 2026-03-02 这一周的样本：4 件").wait_for()
    item = SampleItem.objects.filter(checker__username="fz_reviewer").order_by("id").first()
    assert item is not None

    go(checker, f"/quality/items/{item.pk}/")
    score_form(checker, {"registration": 20, "routing": 25, "policy": 25, "attitude": 20})
    checker.fill("#comment", "地址登记不完整")
    checker.get_by_role("button", name="保存评分").click()
    checker.get_by_text("评分已保存").wait_for()
    assert checker.get_by_test_id("item-score").inner_text() == "90.00"

    agent = as_role("fz_agent")
    go(agent, "/quality/?month=2026-03")
    assert "月度质检得分：90.00" in agent.get_by_test_id("my-score").inner_text()
    go(agent, f"/quality/items/{item.pk}/")
    agent.fill("#reason", "地址已按市民所述完整登记")
    agent.get_by_role("button", name="提交申诉").click()
    agent.get_by_text("申诉已提交，等待另一名质检员复核").wait_for()

    second = as_role("fz_callback")
    go(second, "/quality/")
    second.get_by_test_id("appeals").get_by_role("link", name=item.ticket.number).click()
    score_form(second, {"registration": 30, "routing": 25, "policy": 25, "attitude": 20})
    second.fill("#comment", "登记完整，改判")
    second.get_by_role("button", name="提交复核").click()
    second.get_by_text("复核已完成").wait_for()
    # The item's facts read as label beside value, not as one stacked column.
    label = second.locator("dl.facts dt", has_text="状态").bounding_box()
    value = second.get_by_test_id("item-state").bounding_box()
    assert abs(label["y"] - value["y"]) < 4 and value["x"] > label["x"] + label["width"]
    shot(second, "quality-01-appeal-decided")

    go(agent, "/quality/?month=2026-03")
    assert "月度质检得分：100.00" in agent.get_by_test_id("my-score").inner_text()
    item.refresh_from_db()
    assert item.state == ItemState.DECIDED and item.appeal.state == AppealState.CHANGED

    supervisor = as_role("fz_supervisor")
    go(supervisor, "/quality/monthly/?center=fz&month=2026-03")
    # first (fault, -, -, -) against second (-, -, -, -): po 0.75 = pe 0.75, so κ = 0
    assert supervisor.get_by_test_id("kappa").inner_text() == "0.00（1 件双评、4 个评分项）"
    shot(supervisor, "quality-02-monthly")
