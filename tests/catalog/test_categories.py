"""Loading the three-level category tree from the project's own fixture."""

import pytest

from hotline.catalog.models import Category
from hotline.catalog.services import load_categories

pytestmark = pytest.mark.django_db


def test_load_creates_the_whole_tree(db):
    # Given an empty catalog, when the fixture is loaded
    result = load_categories()

    # then 15 + 118 + 517 nodes exist, each level below the right parent
    assert result == {"created": 650, "updated": 0}
    counts = {level: Category.objects.filter(level=level).count() for level in (1, 2, 3)}
    assert counts == {1: 15, 2: 118, 3: 517}
    assert Category.objects.filter(level=1, parent__isnull=False).count() == 0
    assert Category.objects.filter(level=2, parent__level=1).count() == 118
    assert Category.objects.filter(level=3, parent__level=2).count() == 517


def test_load_is_idempotent(categories):
    # Given a loaded catalog, when the fixture is loaded again, then nothing changes
    assert load_categories() == {"created": 0, "updated": 0}
    assert Category.objects.count() == 650


def test_codes_follow_the_source_order(categories):
    # Given the loaded catalog, when the first nodes are read, then codes nest by level
    node = Category.objects.select_related("parent__parent").get(code="010101")

    assert node.full_name == "城乡建设/安全生产/事故处理"
    assert (node.parent.code, node.parent.name) == ("0101", "安全生产")
    assert (node.parent.parent.code, node.parent.parent.name) == ("01", "城乡建设")


def test_utility_categories_are_water_power_gas_heating(categories):
    # Given the loaded catalog, when the utility flags are read
    names = sorted(Category.objects.filter(is_utility=True).values_list("name", flat=True))

    # then exactly the four supply nodes carry them
    assert names == ["冬季采暖", "燃气供应", "电力供应", "自来水供应"]


def test_reload_keeps_an_administrators_flag_unless_reset(categories):
    # Given an administrator who flagged 小区管理 as a utility category
    Category.objects.filter(name="小区管理").update(is_utility=True)

    # when the fixture is loaded again, then the flag survives
    assert load_categories() == {"created": 0, "updated": 0}
    assert Category.objects.get(name="小区管理").is_utility is True

    # and when flags are reset, the fixture's value comes back
    assert load_categories(reset_flags=True) == {"created": 0, "updated": 1}
    assert Category.objects.get(name="小区管理").is_utility is False


def test_reload_repairs_a_renamed_node(categories):
    # Given a node whose name was changed in the database
    Category.objects.filter(code="01").update(name="改名", full_name="改名")

    # when the fixture is loaded again, then the fixture's name is restored
    assert load_categories() == {"created": 0, "updated": 1}
    assert Category.objects.get(code="01").name == "城乡建设"
