"""A small province for the tests: two cities, three counties, centers, departments, people.

With CI=true a missing PostgreSQL (when HOTLINE_DATABASE_URL points at one) is a failure,
never a skip: the run stops at connection time with the driver's error.
"""

import functools
from types import SimpleNamespace

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache

from hotline.catalog import calendar, policies
from hotline.catalog.services import load_calendar, load_default_policies
from hotline.orgs.models import Membership, Region, RegionLevel, Role, Unit, UnitKind, User
from hotline.orgs.regions import invalidate_region_cache

REGIONS = [
    ("350000", "福建省", RegionLevel.PROVINCE, None),
    ("350100", "福州市", RegionLevel.CITY, "350000"),
    ("350102", "鼓楼区", RegionLevel.COUNTY, "350100"),
    ("350103", "台江区", RegionLevel.COUNTY, "350100"),
    ("350102001000", "鼓东街道", RegionLevel.TOWN, "350102"),
    ("350200", "厦门市", RegionLevel.CITY, "350000"),
    ("350203", "思明区", RegionLevel.COUNTY, "350200"),
]

# key: (code, name, kind, level, region, parent key, function)
UNITS = [
    ("prov", "福建省12345热线中心", UnitKind.CENTER, "province", "350000", None, "center"),
    ("fz", "福州市12345热线中心", UnitKind.CENTER, "city", "350100", "prov", "center"),
    ("fz_housing", "福州市住建局", UnitKind.DEPARTMENT, "city", "350100", "fz", "housing"),
    ("fz_hrss", "福州市人社局", UnitKind.DEPARTMENT, "city", "350100", "fz", "hrss"),
    ("gl", "鼓楼区12345热线中心", UnitKind.CENTER, "county", "350102", "fz", "center"),
    ("gl_housing", "鼓楼区住建局", UnitKind.DEPARTMENT, "county", "350102", "gl", "housing"),
    ("gl_town", "鼓东街道办事处", UnitKind.TOWN, "town", "350102001000", "gl", "town"),
    ("tj", "台江区12345热线中心", UnitKind.CENTER, "county", "350103", "fz", "center"),
    ("tj_housing", "台江区住建局", UnitKind.DEPARTMENT, "county", "350103", "tj", "housing"),
    ("xm", "厦门市12345热线中心", UnitKind.CENTER, "city", "350200", "prov", "center"),
    ("xm_housing", "厦门市建设局", UnitKind.DEPARTMENT, "city", "350200", "xm", "housing"),
]

# username: [(unit key, role), ...]
PEOPLE = {
    "prov_agent": [("prov", Role.AGENT)],
    "prov_dispatcher": [("prov", Role.DISPATCHER)],
    "prov_supervisor": [("prov", Role.SUPERVISOR)],
    "fz_agent": [("fz", Role.AGENT)],
    "fz_dispatcher": [("fz", Role.DISPATCHER)],
    "fz_reviewer": [("fz", Role.REVIEWER)],
    "fz_callback": [("fz", Role.CALLBACK)],
    "fz_supervisor": [("fz", Role.SUPERVISOR)],
    "fz_analyst": [("fz", Role.ANALYST)],
    "fz_housing_handler": [("fz_housing", Role.HANDLER)],
    "fz_housing_leader": [("fz_housing", Role.LEADER)],
    "fz_hrss_handler": [("fz_hrss", Role.HANDLER)],
    "gl_dispatcher": [("gl", Role.DISPATCHER)],
    "gl_housing_handler": [("gl_housing", Role.HANDLER)],
    "gl_town_handler": [("gl_town", Role.HANDLER)],
    "tj_housing_handler": [("tj_housing", Role.HANDLER)],
    "xm_agent": [("xm", Role.AGENT)],
    "xm_dispatcher": [("xm", Role.DISPATCHER)],
    "xm_housing_handler": [("xm_housing", Role.HANDLER)],
    "two_hats": [("gl_housing", Role.HANDLER), ("tj_housing", Role.LEADER)],
}

# Playwright and Chromium fixtures, one instance for every test module that drives a browser;
# the telephony stack (Kamailio, sipp, baresip) likewise, for the SIP and browser tests.
pytest_plugins = ["tests.browser.fixtures", "tests.calls.sip.fixtures"]


def ensure_catalog():
    """Policies and the holiday calendar; cheap when already there (transactional tests flush)."""
    load_default_policies()
    load_calendar()
    policies.invalidate()
    calendar.invalidate()
    invalidate_region_cache()


@functools.cache
def _password():
    # One slow PBKDF2 hash per run, shared by every test user (password "pw").
    return make_password("pw")


@pytest.fixture
def province(db):
    return build_province()


def build_province() -> SimpleNamespace:
    """The province's regions, units and people; also for module-scoped fixtures that build on
    it once (tests/security/test_scope_matrix.py)."""
    ensure_catalog()
    regions = {}
    for code, name, level, parent in REGIONS:
        regions[code] = Region.objects.create(
            code=code, name=name, level=level, parent=regions.get(parent)
        )
    units = {}
    for key, name, kind, level, region, parent, function in UNITS:
        units[key] = Unit.objects.create(
            code=key,
            name=name,
            kind=kind,
            level=level,
            region=regions[region],
            parent=units.get(parent),
            function=function,
        )
    password = _password()
    users = {}
    for username, roles in PEOPLE.items():
        user = User.objects.create(username=username, full_name=username, password=password)
        for unit_key, role in roles:
            Membership.objects.create(user=user, unit=units[unit_key], role=role)
        users[username] = user
    users["admin"] = User.objects.create(
        username="admin", password=password, is_staff=True, is_superuser=True
    )
    return SimpleNamespace(regions=regions, units=units, users=users)


@pytest.fixture
def fresh():
    """Reload a user so that cached memberships do not leak between steps."""

    def _fresh(user):
        return User.objects.get(pk=user.pk)

    return _fresh


@pytest.fixture(autouse=True)
def _no_token_cache(settings):
    """Tests revoke tokens and change roles between requests; the cache has its own test."""
    settings.TOKEN_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test starts with full API rate budgets (hotline/throttle.py counts in the cache);
    the limits themselves stay on, at their production defaults, in every test."""
    cache.clear()
