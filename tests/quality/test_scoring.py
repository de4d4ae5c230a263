from decimal import Decimal

import pytest

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.quality import figures, sampling, services
from hotline.quality.models import Appeal, AppealState, ItemState, SampleItem, Score

from .conftest import AFTER, MONTH, WEEK, frozen, lines


@pytest.fixture
def item(province, center, week_tickets):
    with frozen(AFTER):
        sampling.draw(center=center, week=WEEK)
    return SampleItem.objects.order_by("id").first()


def checker_of(province, item):
    return province.users["fz_reviewer"] if item.checker_id == province.users[
        "fz_reviewer"].pk else province.users["fz_callback"]  # fmt: skip


def other_checker(province, item):
    first = checker_of(province, item)
    return province.users["fz_callback"] if first.username == "fz_reviewer" else province.users[
        "fz_reviewer"]  # fmt: skip


def test_a_checker_scores_every_rubric_line_and_the_total_is_the_share_of_points(province, item):
    score = services.score_item(item=item, by=checker_of(province, item),
                                lines=lines(registration=20, attitude=15), comment="地址不全")  # fmt: skip

    item.refresh_from_db()
    assert score.total == Decimal("85.00")
    assert item.state == ItemState.SCORED and item.score == Decimal("85.00")
    faults = sorted(score.lines.filter(fault=True).values_list("line__code", flat=True))
    assert faults == ["attitude", "registration"]


@pytest.mark.parametrize(
    "given, field",
    [
        ([], "lines"),
        (lines()[:3], "lines"),
        ([{"line": "nonsense", "points": 3}, *lines()], "lines[0].line"),
        (lines(policy=26), "lines[2].points"),
        ([*lines(), {"line": "routing", "points": 1}], "lines[4].line"),
    ],
    ids=["no-line", "missing-line", "unknown-line", "over-full-points", "line-twice"],
)
def test_a_bad_score_is_a_clear_error_and_changes_nothing(province, item, given, field):
    with pytest.raises(InvalidInput) as exc:
        services.score_item(item=item, by=checker_of(province, item), lines=given)

    assert exc.value.field == field
    item.refresh_from_db()
    assert item.state == ItemState.PENDING and Score.objects.count() == 0


@pytest.mark.parametrize("username", ["fz_agent", "fz_dispatcher", "xm_agent", "fz_supervisor"])
def test_only_a_checker_of_the_center_scores(province, item, username):
    with pytest.raises(Forbidden):
        services.score_item(item=item, by=province.users[username], lines=lines())

    assert Score.objects.count() == 0


def test_the_agent_appeals_once_and_a_second_checker_decides(province, item):
    first, second = checker_of(province, item), other_checker(province, item)
    agent = province.users["fz_agent"]
    services.score_item(item=item, by=first, lines=lines(registration=10))
    before = figures.agent_scores([item.sample.center_id], MONTH, agent=agent)[0].score

    with pytest.raises(InvalidInput) as exc:
        services.appeal(item=item, by=agent, reason=" ")
    assert exc.value.field == "reason"
    with pytest.raises(Forbidden):
        services.appeal(
            item=item, by=province.users["fz_dispatcher"], reason="评分有误，地址已登记"
        )
    made = services.appeal(item=item, by=agent, reason="地址已完整登记，请复核")
    with pytest.raises(IllegalTransition):
        services.appeal(item=item, by=agent, reason="再次申诉试试看")
    with pytest.raises(Forbidden):
        services.decide(appeal=made, by=first, lines=lines())

    decided = services.decide(appeal=made, by=second, lines=lines(), comment="登记完整，改判")

    item.refresh_from_db()
    assert decided.state == AppealState.CHANGED and decided.decided_by == second
    assert item.state == ItemState.DECIDED and item.score == Decimal("100.00")
    after = figures.agent_scores([item.sample.center_id], MONTH, agent=agent)[0].score
    assert before != after
    assert Appeal.objects.count() == 1


def test_a_second_score_equal_to_the_first_keeps_it(province, item):
    services.score_item(item=item, by=checker_of(province, item), lines=lines(policy=20))
    made = services.appeal(item=item, by=province.users["fz_agent"], reason="政策解答无误")

    decided = services.decide(appeal=made, by=other_checker(province, item),
                              lines=lines(policy=20))  # fmt: skip

    assert decided.state == AppealState.KEPT


def test_kappa_compares_fault_verdicts_of_first_and_second_checker(province, item):
    # given first: a fault on registration only; second: faults on registration and routing
    services.score_item(item=item, by=checker_of(province, item), lines=lines(registration=25))
    made = services.appeal(item=item, by=province.users["fz_agent"], reason="请复核本件")
    services.decide(appeal=made, by=other_checker(province, item),
                    lines=lines(registration=25, routing=20))  # fmt: skip

    # when
    found = figures.agreement([item.sample.center_id], MONTH)

    # then: pairs (T,T) (F,T) (F,F) (F,F): po 0.75, pe 0.25·0.5 + 0.75·0.5 = 0.5, κ = 0.5
    assert (found.pairs, found.items, found.kappa) == (4, 1, Decimal("0.50"))


def test_the_center_line_counts_faults_by_the_final_score(province, item):
    services.score_item(item=item, by=checker_of(province, item), lines=lines(registration=25))
    other = SampleItem.objects.exclude(pk=item.pk).order_by("id").first()
    services.score_item(item=other, by=checker_of(province, other),
                        lines=lines(registration=0, attitude=10))  # fmt: skip

    line = figures.center_line([item.sample.center_id], MONTH)

    assert (line.items, line.scored, line.appeals) == (4, 2, 0)
    assert line.score == Decimal("77.50")  # (95 + 60) / 2
    assert line.fault_rate == Decimal("37.50")  # 3 of 8 lines
    assert [(f.label, f.count) for f in line.faults] == [("登记准确完整", 2),
                                                         ("服务态度与用语规范", 1)]  # fmt: skip
    assert line.agreement.kappa is None


def test_a_month_must_be_written_as_year_dash_month(province, center):
    with pytest.raises(InvalidInput) as exc:
        figures.center_line([center.pk], "三月")

    assert exc.value.field == "month"
