"""Jurisdiction: named places found at the right level; unknown stays unknown."""

import pytest

from hotline.routing import jurisdiction
from hotline.routing.models import Landmark


def code(**kw):
    m = jurisdiction.resolve(**kw)
    return m.region.code if m.region else None


@pytest.mark.parametrize(
    "kw, expected",
    [
        ({"address": "福州市鼓楼区某小区3号楼"}, "350102"),
        ({"address": "鼓楼区"}, "350102"),
        ({"content": "我住在鼓楼区，小区电梯坏了"}, "350102"),
        ({"content": "福州鼓楼区鼓东街道某小区"}, "350102001000"),
        ({"content": "福州台江的路灯不亮"}, "350103"),
        ({"address": "鼓东街道"}, "350102001000"),
        ({"address": "鼓楼区鼓东"}, "350102001000"),  # short town name: trusted in the address
        ({"content": "厦门市的公交车太挤"}, "350200"),
        ({"address": "思明区", "content": "我是福州人"}, "350203"),  # the address weighs more
    ],
    ids=[
        "city+county",
        "county",
        "county-in-text",
        "town-in-text",
        "short-city+county",
        "town",
        "short-town",
        "city",
        "address-wins",
    ],
)
def test_named_place_is_found(province, kw, expected):
    assert code(**kw) == expected


@pytest.mark.parametrize(
    "kw",
    [
        {"address": "A市A1区", "content": "A市A1区某小区物业乱收费"},
        {"content": "西地省b5县大石围"},
        {"content": "鼓东路上有坑"},  # 鼓东 without 街道 in free text is a street, not the town
        {"content": "从鼓楼区搬到思明区"},  # two places alike: only the province in common
        {"content": "我住在鼓楼"},  # a county's short name alone: an everyday word elsewhere
        {"content": "A7县鼓东街道"},  # a town name alone: towns share names across provinces
        {},
    ],
    ids=[
        "anonymised",
        "other-province",
        "short-town-in-text",
        "ambiguous",
        "short-county-alone",
        "town-alone",
        "nothing",
    ],
)
def test_unknown_stays_unknown(province, kw):
    assert code(**kw) is None


def test_two_counties_of_one_city_give_the_city(province):
    assert code(content="福州鼓楼和台江交界处") == "350100"


def test_landmark_pins_the_region(province):
    Landmark.objects.create(name="金色家园小区", region=province.regions["350103"])
    jurisdiction.invalidate()

    m = jurisdiction.resolve(content="金色家园小区门口积水")

    assert m.region.code == "350103"
    assert m.words == ["金色家园小区"]
