"""Units: the county's department, else the city's, else the region's fallback unit."""

from hotline.routing import recommender, services
from hotline.routing.classifier import Prediction
from hotline.routing.models import CategoryFunction


def codes(s):
    return [u["code"] for u in s.units]


def test_demand_naming_a_county_goes_to_that_county_unit(routed):
    s = services.suggest(title="电梯故障", content="台江区某小区电梯坏了两周，物业不修")

    assert s.category[0] == "01"
    assert s.region["code"] == "350103"
    assert codes(s)[0] == "tj_housing"
    assert s.units[0]["confidence"] > 0.5
    assert "台江区" in s.units[0]["reason"]


def test_function_missing_in_the_county_goes_to_the_city(routed):
    s = services.suggest(title="拖欠工资", content="鼓楼区一家公司拖欠工资，社保也不交")

    assert s.category[0] == "15"
    assert codes(s)[0] == "fz_hrss"  # 鼓楼区 has no 人社局 in the test province


def test_category_without_mapped_department_goes_to_fallback(routed):
    CategoryFunction.objects.filter(category_code="04").delete()  # 环境保护 unmapped
    recommender.invalidate()

    s = services.suggest(title="工厂排污", content="鼓楼区化工厂偷排污水，环境污染严重")

    assert s.category[0] == "04"
    assert codes(s)[0] == "gl_fallback"
    assert "兜底" in s.units[0]["reason"]


def test_top_three_with_confidences_in_order(routed):
    s = services.suggest(title="学校乱收费", content="鼓楼区学校乱收费")

    confidences = [u["confidence"] for u in s.units]
    assert 1 <= len(s.units) <= 3
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) <= 1.0001


def test_unknown_region_uses_the_default_but_does_not_report_it(routed):
    s = services.suggest(
        title="电梯故障",
        content="A市A1区小区电梯坏了",
        default_region_id=routed.regions["350200"].id,
    )

    assert s.region is None
    assert codes(s)[0] == "xm_housing"


def test_deepest_mapping_wins(routed):
    CategoryFunction.objects.create(category_code="0110", function="fallback")
    recommender.invalidate()

    assert recommender.function_for(["01"]) == "housing"
    assert recommender.function_for(["01", "0110"]) == "fallback"
    assert recommender.function_for(["02"]) == "fallback"  # 党务政务: not mapped


def test_no_prediction_no_units(routed):
    units = recommender.recommend(
        Prediction([], []), region_id=routed.regions["350102"].id, deeper=(None, None)
    )
    assert units == []
