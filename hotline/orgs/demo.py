"""The demo province: Fujian's unit tree (九市一区) and a set of demo accounts.

`build_demo_province(password=...)` loads the regions, builds one tree of units with the
province hotline center at its root and adds demo users with their roles. It is idempotent
and uses bulk writes, so tests can use it as a fixture (`build_test_province()`).

Unit codes are stable and readable: `{region code}-{suffix}`, where the suffix is the
department's `function` key (`350102-housing` = 鼓楼区住建局) or the unit kind for the rest:
`-center`, `-subcenter`, `-fallback`, `-office`, `-town` (`350102001000-town` = 鼓东街道).
"""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import Membership, Region, RegionLevel, Role, Unit, UnitKind, User
from .regions import load_regions

PROVINCE = "350000"
PINGTAN = "350128"  # 平潭综合实验区: a city-level node of its own, see fixtures/regions.csv
# Counties in the region table that get no units: 金门县 is listed in GB/T 2260 but is not
# administered from the mainland, so no hotline center or department of ours serves it.
COUNTIES_WITHOUT_UNITS = frozenset({"350527"})
# Counties whose towns are loaded even when `towns=False`, so the demo town handler exists.
DEMO_TOWN_COUNTIES = ("350102",)

# The routing key of each kind of department, with its Chinese label. Routing maps categories
# to these keys; a key means the same kind of department at every level.
FUNCTIONS = {
    "housing": "住房和城乡建设",
    "hrss": "人力资源和社会保障",
    "ecology": "生态环境",
    "market": "市场监督管理",
    "transport": "交通运输",
    "police": "公安",
    "education": "教育",
    "health": "卫生健康",
    "land": "自然资源和规划",
    "urban": "城市管理",
    "water": "供水",
    "power": "供电",
    "fallback": "兜底（政府办）",
    "town": "乡镇（街道）",
}

D, E = UnitKind.DEPARTMENT, UnitKind.ENTERPRISE
PROVINCE_DEPARTMENTS = [
    ("housing", "福建省住房和城乡建设厅", D),
    ("hrss", "福建省人力资源和社会保障厅", D),
    ("ecology", "福建省生态环境厅", D),
    ("market", "福建省市场监督管理局", D),
    ("transport", "福建省交通运输厅", D),
    ("police", "福建省公安厅", D),
    ("education", "福建省教育厅", D),
    ("health", "福建省卫生健康委员会", D),
    ("land", "福建省自然资源厅", D),
    ("power", "国网福建省电力有限公司", E),
]
# {n}: the region's name (福州市); {s}: its short name (福州).
CITY_DEPARTMENTS = [
    ("housing", "{n}住房和城乡建设局", D),
    ("hrss", "{n}人力资源和社会保障局", D),
    ("ecology", "{n}生态环境局", D),
    ("market", "{n}市场监督管理局", D),
    ("transport", "{n}交通运输局", D),
    ("police", "{n}公安局", D),
    ("education", "{n}教育局", D),
    ("health", "{n}卫生健康委员会", D),
    ("land", "{n}自然资源和规划局", D),
    ("urban", "{n}城市管理局", D),
    ("water", "{s}水务集团有限公司", E),
    ("power", "国网{s}供电公司", E),
]
COUNTY_DEPARTMENTS = [
    ("housing", "{n}住房和城乡建设局", D),
    ("hrss", "{n}人力资源和社会保障局", D),
    ("market", "{n}市场监督管理局", D),
    ("education", "{n}教育局", D),
    ("urban", "{n}城市管理局", D),
]
# Sub-center hotlines that keep their own number (双号并行) and feed the city center.
SUBCENTERS = {
    "350100": "福州市12333人社服务热线分中心",
    "350200": "厦门市12315市场监管热线分中心",
}


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    level: str
    region: str
    parent: str | None
    function: str = ""


def _short(name: str) -> str:
    return "平潭" if name == "平潭综合实验区" else name.removesuffix("市")


def _town_unit_name(county: str, town: str) -> str:
    if town.endswith("街道"):
        return f"{county}{town}办事处"
    if town.endswith(("镇", "乡")):
        return f"{county}{town}人民政府"
    return f"{county}{town}"  # 农场、开发区、管委会… keep the statistical name


def unit_specs(regions: dict[str, Region]) -> list[UnitSpec]:
    """The unit tree for the loaded regions, parents before children."""
    province = regions[PROVINCE]
    root = f"{PROVINCE}-center"
    specs = [
        UnitSpec(
            root, "福建省12345政务服务便民热线中心", UnitKind.CENTER, "province", PROVINCE, None
        ),
        UnitSpec(f"{PROVINCE}-office", "福建省效能办", UnitKind.OFFICE, "province", PROVINCE, root),
    ]
    specs += [
        UnitSpec(f"{PROVINCE}-{f}", name, kind, "province", PROVINCE, root, f)
        for f, name, kind in PROVINCE_DEPARTMENTS
    ]
    children: dict[str, list[Region]] = {}
    for r in regions.values():
        if r.parent_id:
            children.setdefault(r.parent.code, []).append(r)
    for city in sorted(children.get(province.code, []), key=lambda r: r.code):
        n, s, c = city.name, _short(city.name), city.code
        center = f"{c}-center"
        specs.append(UnitSpec(center, f"{n}12345热线中心", UnitKind.CENTER, "city", c, root))
        if c in SUBCENTERS:
            specs.append(
                UnitSpec(f"{c}-subcenter", SUBCENTERS[c], UnitKind.SUBCENTER, "city", c, center)
            )
        specs.append(UnitSpec(f"{c}-office", f"{n}效能办", UnitKind.OFFICE, "city", c, center))
        fallback = f"{n}管委会办公室" if c == PINGTAN else f"{n}人民政府办公室"
        specs.append(
            UnitSpec(f"{c}-fallback", fallback, UnitKind.FALLBACK, "city", c, center, "fallback")
        )
        specs += [
            UnitSpec(f"{c}-{f}", tpl.format(n=n, s=s), kind, "city", c, center, f)
            for f, tpl, kind in CITY_DEPARTMENTS
        ]
        for sub in sorted(children.get(c, []), key=lambda r: r.code):
            if sub.level == RegionLevel.TOWN:  # 平潭's towns hang directly under it
                specs.append(_town_spec(sub, n, center))
            elif sub.code not in COUNTIES_WITHOUT_UNITS:
                specs += _county_specs(sub, center, children.get(sub.code, []))
    return specs


def _county_specs(county: Region, city_center: str, towns: list[Region]) -> list[UnitSpec]:
    n, c = county.name, county.code
    center = f"{c}-center"
    specs = [
        UnitSpec(center, f"{n}12345热线中心", UnitKind.CENTER, "county", c, city_center),
        UnitSpec(
            f"{c}-fallback",
            f"{n}人民政府办公室",
            UnitKind.FALLBACK,
            "county",
            c,
            center,
            "fallback",
        ),
    ]
    specs += [
        UnitSpec(f"{c}-{f}", tpl.format(n=n), kind, "county", c, center, f)
        for f, tpl, kind in COUNTY_DEPARTMENTS
    ]
    specs += [_town_spec(t, n, center) for t in sorted(towns, key=lambda r: r.code)]
    return specs


def _town_spec(town: Region, county_name: str, parent: str) -> UnitSpec:
    return UnitSpec(
        f"{town.code}-town",
        _town_unit_name(county_name, town.name),
        UnitKind.TOWN,
        "town",
        town.code,
        parent,
        "town",
    )


def upsert_units(specs: list[UnitSpec], regions: dict[str, Region]) -> dict[str, Unit]:
    """Create or update the units of `specs` (parents first); return them by code."""
    known = Unit.objects.in_bulk([s.code for s in specs], field_name="code")
    depth: dict[str, int] = {}
    for s in specs:
        depth[s.code] = depth[s.parent] + 1 if s.parent else 0
    fields = ["name", "kind", "level", "region", "parent", "function", "is_active", "path"]
    for d in range(max(depth.values(), default=-1) + 1):
        new, changed = [], []
        for s in (s for s in specs if depth[s.code] == d):
            parent = known[s.parent] if s.parent else None
            values = {
                "name": s.name,
                "kind": s.kind,
                "level": s.level,
                "region": regions[s.region],
                "parent": parent,
                "function": s.function,
                "is_active": True,
                "path": (parent.path if parent else "") + s.code + "/",
            }
            unit = known.get(s.code)
            if unit is None:
                unit = known[s.code] = Unit(code=s.code, **values)
                new.append(unit)
            elif any(_differs(unit, k, v) for k, v in values.items()):
                for k, v in values.items():
                    setattr(unit, k, v)
                changed.append(unit)
        if new:
            Unit.objects.bulk_create(new, batch_size=500)
            if any(u.pk is None for u in new):  # backends that return no primary keys
                ids = Unit.objects.filter(code__in=[u.code for u in new]).values_list("code", "pk")
                for code, pk in ids:
                    known[code].pk = pk
        if changed:
            Unit.objects.bulk_update(changed, fields, batch_size=500)
    return known


def _differs(unit: Unit, field: str, value) -> bool:
    if field in ("region", "parent"):
        return getattr(unit, f"{field}_id") != (value.pk if value else None)
    return getattr(unit, field) != value


# username, full name, [(unit code, role)], superuser?
ACCOUNTS = [
    ("prov_admin", "郑海峰", [("350000-center", Role.ADMIN)], True),
    ("prov_agent", "林晓燕", [("350000-center", Role.AGENT)], False),
    ("prov_dispatcher", "陈志强", [("350000-center", Role.DISPATCHER)], False),
    ("prov_reviewer", "黄丽清", [("350000-center", Role.REVIEWER)], False),
    ("prov_callback", "吴秀英", [("350000-center", Role.CALLBACK)], False),
    ("prov_supervisor", "王建国", [("350000-center", Role.SUPERVISOR)], False),
    ("prov_analyst", "张文静", [("350000-center", Role.ANALYST)], False),
    ("fz_agent", "李美玲", [("350100-center", Role.AGENT)], False),
    ("fz_dispatcher", "陈明辉", [("350100-center", Role.DISPATCHER)], False),
    ("fz_reviewer", "林雅琴", [("350100-center", Role.REVIEWER)], False),
    ("fz_callback", "郑丽娟", [("350100-center", Role.CALLBACK)], False),
    ("fz_supervisor", "黄国平", [("350100-center", Role.SUPERVISOR)], False),
    ("fz_housing_handler", "刘伟", [("350100-housing", Role.HANDLER)], False),
    ("fz_housing_leader", "杨振华", [("350100-housing", Role.LEADER)], False),
    ("xm_dispatcher", "蔡佳慧", [("350200-center", Role.DISPATCHER)], False),
    ("gl_dispatcher", "陈晓东", [("350102-center", Role.DISPATCHER)], False),
    ("gl_housing_handler", "林宇航", [("350102-housing", Role.HANDLER)], False),
    ("gl_housing_leader", "吴建平", [("350102-housing", Role.LEADER)], False),
    ("gl_town_handler", "郭小梅", [("350102001000-town", Role.HANDLER)], False),
    (
        "gl_multi_handler",
        "许志明",
        [("350102-housing", Role.HANDLER), ("350102-market", Role.HANDLER)],
        False,
    ),
    ("tj_housing_handler", "何俊杰", [("350103-housing", Role.HANDLER)], False),
]


def upsert_accounts(password: str, units: dict[str, Unit]) -> dict[str, str]:
    """Create or refresh the demo users and their memberships; return username → description."""
    encoded = make_password(password)  # hashed once: hashing is slow by design
    existing = User.objects.in_bulk([a[0] for a in ACCOUNTS], field_name="username")
    new, changed = [], []
    for username, full_name, _roles, admin in ACCOUNTS:
        values = {
            "full_name": full_name,
            "password": encoded,
            "is_staff": admin,
            "is_superuser": admin,
            "is_active": True,
        }
        user = existing.get(username)
        if user is None:
            existing[username] = user = User(username=username, **values)
            new.append(user)
        else:
            for k, v in values.items():
                setattr(user, k, v)
            changed.append(user)
    User.objects.bulk_create(new)
    if any(u.pk is None for u in new):
        for username, pk in User.objects.filter(username__in=[u.username for u in new]).values_list(
            "username", "pk"
        ):
            existing[username].pk = pk
    User.objects.bulk_update(
        changed, ["full_name", "password", "is_staff", "is_superuser", "is_active"]
    )

    wanted = {
        (existing[username].pk, units[code].pk, role)
        for username, _n, roles, _a in ACCOUNTS
        for code, role in roles
    }
    have = {
        (m.user_id, m.unit_id, m.role): m
        for m in Membership.objects.filter(user__in=[u.pk for u in existing.values()])
    }
    Membership.objects.bulk_create(
        [Membership(user_id=u, unit_id=n, role=r) for u, n, r in wanted - have.keys()]
    )
    inactive = [m.pk for key, m in have.items() if key in wanted and not m.is_active]
    if inactive:
        Membership.objects.filter(pk__in=inactive).update(is_active=True)

    accounts = {}
    for username, full_name, roles, admin in ACCOUNTS:
        parts = [f"{units[code].name}·{Role(role).label}" for code, role in roles]
        extra = "（超级管理员，可进管理后台）" if admin else ""
        accounts[username] = f"{full_name}：{'；'.join(parts)}{extra}"
    return accounts


def build_demo_province(*, password: str, towns: bool = True) -> dict[str, str]:
    """Load Fujian's regions, its unit tree and the demo accounts; return username → description.

    With `towns=False` only the towns of `DEMO_TOWN_COUNTIES` (鼓楼区) are loaded, which is
    enough for every demo account and keeps test fixtures fast.
    """
    with transaction.atomic():
        load_regions(town_counties=None if towns else DEMO_TOWN_COUNTIES)
        regions = {r.code: r for r in Region.objects.select_related("parent")}
        units = upsert_units(unit_specs(regions), regions)
        return upsert_accounts(password, units)


def build_test_province(password: str = "demo-pass-123") -> dict[str, str]:
    """The demo province without most towns: the fixture tests build on."""
    return build_demo_province(password=password, towns=False)
