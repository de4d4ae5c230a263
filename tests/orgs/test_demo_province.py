from collections import Counter

import pytest

from hotline.orgs.demo import (
    COUNTIES_WITHOUT_UNITS,
    FUNCTIONS,
    PINGTAN,
    build_demo_province,
)
from hotline.orgs.models import Membership, Region, RegionLevel, Role, Unit, UnitKind, User
from hotline.orgs.regions import load_regions, read_regions

DEMO_PASSWORD = "demo-pass-123"  # as in conftest.py

CITY_NAMES = {
    "福州市",
    "厦门市",
    "莆田市",
    "三明市",
    "泉州市",
    "漳州市",
    "南平市",
    "龙岩市",
    "宁德市",
    "平潭综合实验区",
}


def _counts():
    return {model.__name__: model.objects.count() for model in (Region, Unit, User, Membership)}


def test_region_table_has_the_province_ten_cities_and_every_county_and_town(db):
    result = load_regions()

    levels = Counter(Region.objects.values_list("level", flat=True))
    # 84 county-level divisions in the source; 平潭 (350128) is lifted to a city of its own.
    assert levels == {"province": 1, "city": 10, "county": 83, "town": 1165}
    assert result == {"created": 1259, "updated": 0, "total": 1259}
    assert set(Region.objects.filter(level="city").values_list("name", flat=True)) == CITY_NAMES


def test_region_codes_nest_in_their_parents(db):
    load_regions()

    for region in Region.objects.select_related("parent"):
        if region.level == RegionLevel.PROVINCE:
            assert (region.code, region.parent) == ("350000", None)
            continue
        parent = region.parent
        assert region.path == parent.path + region.code + "/"
        if region.level == RegionLevel.TOWN:
            assert len(region.code) == 12
            assert region.code[:6] == parent.code
        else:
            assert len(region.code) == 6
            assert region.code[:2] == "35"


def test_pingtan_is_a_city_level_region_under_the_province(db):
    load_regions()

    pingtan = Region.objects.get(code=PINGTAN)
    assert (pingtan.name, pingtan.level, pingtan.parent.code) == (
        "平潭综合实验区",
        "city",
        "350000",
    )
    assert not Region.objects.filter(parent__code="350100", code=PINGTAN).exists()
    assert set(pingtan.children.values_list("level", flat=True)) == {"town"}
    assert pingtan.children.count() == 7


def test_loading_regions_twice_changes_nothing(db):
    load_regions()

    assert load_regions() == {"created": 0, "updated": 0, "total": 1259}


def test_region_csv_rows_come_parents_first():
    seen = set()
    for row in read_regions():
        assert row["parent_code"] == "" or row["parent_code"] in seen, row
        seen.add(row["code"])


def test_every_city_and_county_has_exactly_one_fallback_unit(demo_accounts):
    fallbacks = Counter(
        Unit.objects.filter(kind=UnitKind.FALLBACK).values_list("region__code", flat=True)
    )
    cities = set(Region.objects.filter(level="city").values_list("code", flat=True))
    counties = set(Region.objects.filter(level="county").values_list("code", flat=True))

    assert len(cities) == 10
    assert set(fallbacks) == cities | (counties - COUNTIES_WITHOUT_UNITS)
    assert set(fallbacks.values()) == {1}


def test_every_city_and_county_has_one_center_under_the_center_above(demo_accounts):
    root = Unit.objects.get(parent=None)
    assert (root.code, root.kind, root.level) == ("350000-center", "center", "province")

    centers = Unit.objects.filter(kind=UnitKind.CENTER).select_related("parent", "region")
    by_level = Counter(c.level for c in centers)
    assert by_level == {"province": 1, "city": 10, "county": 82}
    for center in centers.exclude(pk=root.pk):
        assert center.parent.kind == UnitKind.CENTER
        assert center.parent.region == center.region.parent


def test_unit_paths_nest_and_parents_cover_the_region(demo_accounts):
    units = Unit.objects.select_related("parent", "region", "parent__region")

    assert units.filter(parent=None).count() == 1
    for unit in units:
        if unit.parent is None:
            assert unit.path == unit.code + "/"
            continue
        assert unit.path == unit.parent.path + unit.code + "/"
        assert unit.is_within(unit.parent)
        assert unit.parent.region.covers(unit.region)


def test_departments_carry_a_known_function_key(demo_accounts):
    handling = Unit.objects.filter(
        kind__in=[UnitKind.DEPARTMENT, UnitKind.ENTERPRISE, UnitKind.FALLBACK, UnitKind.TOWN]
    )

    assert set(handling.values_list("function", flat=True)) <= set(FUNCTIONS)
    assert Unit.objects.get(code="350100-water").kind == UnitKind.ENTERPRISE
    assert Unit.objects.get(code="350100-power").name == "国网福州供电公司"
    assert Unit.objects.filter(function="housing", level="city").count() == 10


def test_county_units_stay_inside_their_county(demo_accounts):
    gulou = Unit.objects.get(code="350102-center")
    taijiang_housing = Unit.objects.get(code="350103-housing")
    town = Unit.objects.get(code="350102001000-town")

    assert town.name == "鼓楼区鼓东街道办事处"
    assert town.is_within(gulou)
    assert not taijiang_housing.is_within(gulou)
    assert taijiang_housing.is_within(Unit.objects.get(code="350100-center"))


def test_demo_is_idempotent(demo_accounts):
    before = _counts()

    again = build_demo_province(password=DEMO_PASSWORD, towns=False)

    assert _counts() == before
    assert again == demo_accounts
    assert User.objects.get(username="fz_dispatcher").check_password(DEMO_PASSWORD)


def test_full_demo_adds_every_town(demo_accounts):
    build_demo_province(password=DEMO_PASSWORD)

    assert Unit.objects.filter(kind=UnitKind.TOWN).count() == 1165
    assert Region.objects.filter(level="town").count() == 1165


def test_a_user_may_hold_memberships_in_two_units(demo_accounts):
    user = User.objects.get(username="gl_multi_handler")

    held = set(user.memberships.values_list("unit__code", "role"))

    assert held == {("350102-housing", Role.HANDLER), ("350102-market", Role.HANDLER)}


def test_demo_accounts_have_the_roles_the_brief_asks_for(demo_accounts):
    held = {
        (m.user.username, m.unit.code, m.role)
        for m in Membership.objects.select_related("user", "unit")
    }

    assert {
        ("prov_agent", "350000-center", Role.AGENT),
        ("prov_analyst", "350000-center", Role.ANALYST),
        ("fz_supervisor", "350100-center", Role.SUPERVISOR),
        ("fz_housing_leader", "350100-housing", Role.LEADER),
        ("gl_dispatcher", "350102-center", Role.DISPATCHER),
        ("gl_town_handler", "350102001000-town", Role.HANDLER),
        ("tj_housing_handler", "350103-housing", Role.HANDLER),
    } <= held
    assert len(demo_accounts) == User.objects.count() == 21
    assert all(u.isascii() for u in demo_accounts)


def test_only_the_admin_is_staff(demo_accounts):
    staff = set(User.objects.filter(is_staff=True).values_list("username", "is_superuser"))

    assert staff == {("prov_admin", True)}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orgs/region/?q=鼓楼",
        "/admin/orgs/unit/?kind=fallback",
        "/admin/orgs/user/",
        "/admin/orgs/membership/",
        "/admin/orgs/apitoken/",
        "/admin/autocomplete/?app_label=orgs&model_name=unit&field_name=region&term=鼓楼",
    ],
    ids=["regions", "units", "users", "memberships", "tokens", "autocomplete"],
)
def test_admin_pages_open_for_the_admin(demo_accounts, client, url):
    client.force_login(User.objects.get(username="prov_admin"))

    response = client.get(url)

    assert response.status_code == 200
    if "autocomplete" in url:
        assert "鼓楼区" in {r["text"] for r in response.json()["results"]}


def test_admin_user_page_shows_memberships_inline(demo_accounts, client):
    client.force_login(User.objects.get(username="prov_admin"))
    user = User.objects.get(username="gl_multi_handler")

    response = client.get(f"/admin/orgs/user/{user.pk}/change/")

    assert response.status_code == 200
    assert "鼓楼区市场监督管理局" in response.content.decode()
