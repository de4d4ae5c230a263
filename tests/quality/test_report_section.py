from hotline.quality import sampling, services
from hotline.quality.models import SampleItem
from hotline.reports import periods, service

from .conftest import AFTER, WEEK, frozen, lines


def section_text(province, region_code) -> str:
    period = periods.parse("monthly", "2026-03")
    with frozen(AFTER):
        return service.render(period, province.regions[region_code]).html


def test_the_monthly_report_has_the_spot_checks_with_the_commonest_faults(province, center,
                                                                         week_tickets):  # fmt: skip
    with frozen(AFTER):
        sampling.draw(center=center, week=WEEK)
    scored = [lines(routing=20), lines(routing=10, policy=5)]
    for item, points in zip(SampleItem.objects.order_by("id")[:2], scored, strict=True):
        services.score_item(item=item, by=item.checker, lines=points)

    text = section_text(province, "350100")

    assert "话务质量抽查" in text
    assert "本期抽查话务员受理工单4件，已评分2件，平均得分80.00" in text
    assert "<td>分类与承办单位正确</td><td>2</td><td>66.67%</td>" in text


def test_a_region_without_spot_checks_has_no_such_section(province, center, week_tickets):
    assert "话务质量抽查" not in section_text(province, "350200")
