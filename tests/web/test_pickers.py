"""The intake's category picker by pinyin initials (物业管理 → wygl), as agents type them."""

import pytest

from hotline.catalog.models import Category
from hotline.screening.matcher import _pinyin_table
from hotline.web.pickers import initials

from .helpers import as_user, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    root = Category.objects.create(code="01", name="城乡建设", level=1, full_name="城乡建设")
    Category.objects.create(
        code="0101", name="物业管理", level=2, parent=root, full_name="城乡建设/物业管理"
    )
    Category.objects.create(
        code="0102", name="供水", level=2, parent=root, full_name="城乡建设/供水"
    )
    return root


@pytest.mark.parametrize(
    "name, spelled",
    [("物业管理", "wygl"), ("供水", "gs"), ("12345热线", "12345rx"), ("A类事项", "alsx")],
    ids=["words", "two", "digits-kept", "latin-kept"],
)
def test_initials(name, spelled):
    assert initials(name, _pinyin_table()) == spelled


@pytest.mark.parametrize(
    "typed, found",
    [
        ("wygl", ["城乡建设/物业管理"]),
        ("WY", ["城乡建设/物业管理"]),
        ("cxjsgs", ["城乡建设/供水"]),
        ("cxjs", ["城乡建设/物业管理", "城乡建设/供水", "城乡建设"]),
        ("zzz", []),
    ],
    ids=["level-two", "upper-case", "across-the-path", "a-root-and-below", "nothing"],
)
def test_the_picker_finds_categories_by_initials(client, province, tree, typed, found):
    page = text(
        as_user(client, province, "fz_agent").get("/intake/categories/", {"category_name": typed})
    )
    options = [part.split('"')[0] for part in page.split('data-value="')[1:]]
    assert sorted(options) == sorted(found)


def test_a_renamed_set_of_categories_is_spelled_again(client, province, tree):
    as_user(client, province, "fz_agent")
    assert "城乡建设/燃气" not in text(client.get("/intake/categories/", {"category_name": "rq"}))
    Category.objects.create(
        code="0103", name="燃气", level=2, parent=tree, full_name="城乡建设/燃气"
    )
    assert "城乡建设/燃气" in text(client.get("/intake/categories/", {"category_name": "rq"}))


def test_the_picker_is_for_agents_only(client, province, tree):
    response = as_user(client, province, "gl_housing_handler").get(
        "/intake/categories/", {"category_name": "wygl"}
    )
    assert response.status_code == 404


def _regions(client, typed) -> list[tuple[str, str]]:
    page = text(client.get("/intake/regions/search/", {"region_q": typed}))
    return [
        (part.split('"')[0], part.split('data-levels="')[1].split('"')[0].replace("&amp;", "&"))
        for part in page.split('data-value="')[1:]
    ]


@pytest.mark.parametrize(
    "typed, found",
    [
        ("gl", [("鼓楼区", "region_1=350102")]),
        ("GDJD", [("鼓楼区 / 鼓东街道", "region_1=350102&region_2=350102001000")]),
        ("鼓东", [("鼓楼区 / 鼓东街道", "region_1=350102&region_2=350102001000")]),
        ("sm", []),
        ("思明", []),
        ("fz", []),
    ],
    ids=[
        "initials",
        "initials-of-a-town",
        "by-name",
        "other-city-initials",
        "other-city-name",
        "own-region",
    ],
)
def test_the_region_picker_finds_the_centers_regions_only(client, province, typed, found):
    as_user(client, province, "fz_agent")
    assert _regions(client, typed) == found


def test_the_region_picker_is_for_agents_only(client, province):
    response = as_user(client, province, "gl_housing_handler").get(
        "/intake/regions/search/", {"region_q": "gl"}
    )
    assert response.status_code == 404
