"""Fixtures of the catalog tests: fresh in-process caches, the calendar, categories, regions."""

import pytest

from hotline.catalog import calendar, policies
from hotline.catalog.services import load_calendar, load_categories, load_default_policies
from hotline.orgs.models import Region, RegionLevel


@pytest.fixture(autouse=True)
def _fresh_caches():
    # The caches live in the process, the rows in a per-test transaction: never share them.
    calendar.invalidate()
    policies.invalidate()
    yield
    calendar.invalidate()
    policies.invalidate()


@pytest.fixture
def holidays(db):
    load_calendar()


@pytest.fixture
def categories(db):
    load_categories()


@pytest.fixture
def default_policies(db):
    load_default_policies()


@pytest.fixture
def regions(db):
    """A province with two cities; the first city has a county."""
    province = Region.objects.create(code="350000", name="福建省", level=RegionLevel.PROVINCE)
    fuzhou = Region.objects.create(
        code="350100", name="福州市", level=RegionLevel.CITY, parent=province
    )
    gulou = Region.objects.create(
        code="350102", name="鼓楼区", level=RegionLevel.COUNTY, parent=fuzhou
    )
    xiamen = Region.objects.create(
        code="350200", name="厦门市", level=RegionLevel.CITY, parent=province
    )
    return {"province": province, "fuzhou": fuzhou, "gulou": gulou, "xiamen": xiamen}
