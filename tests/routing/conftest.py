"""Routing tests: a tiny classifier trained once per run, and fresh routing caches per test."""

import pytest

from hotline.orgs.models import Unit, UnitKind
from hotline.routing import jurisdiction, levelmodel, recommender, store
from hotline.routing.classifier import TextClassifier
from hotline.routing.defaults import default_rows
from hotline.routing.models import CategoryFunction

# Four first-level labels, a handful of demands each: enough for a linear model to separate.
TINY = {
    "劳动和社会保障": [
        ("公司拖欠工资", "老板拖欠三个月工资不发，请人社部门帮忙讨薪"),
        ("社保断缴", "单位没有给我缴纳社保，养老保险断缴了"),
        ("讨要工资", "工地拖欠农民工工资，劳动监察不管"),
        ("失业保险金", "怎么申领失业保险金，社保卡在哪里办"),
        ("工伤认定", "在单位受伤，工伤认定和社保报销怎么办"),
    ],
    "城乡建设": [
        ("电梯故障", "小区电梯坏了两周，物业不修"),
        ("物业乱收费", "物业公司乱收停车费，小区业主不满"),
        ("房屋漏水", "新房屋顶漏水，开发商不维修，住建部门管不管"),
        ("小区路灯", "小区路灯不亮，物业推诿"),
        ("违章搭建", "楼顶违章搭建，物业不管"),
    ],
    "环境保护": [
        ("工厂排污", "化工厂夜间偷排污水，河水发臭，环境污染严重"),
        ("噪音扰民", "工地夜间施工噪音很大，环保部门请处理"),
        ("焚烧垃圾", "有人露天焚烧垃圾，烟雾污染空气"),
        ("河道污染", "河道被养殖场污染，死鱼很多"),
        ("粉尘污染", "搅拌站粉尘污染，环保不达标"),
    ],
    "教育文体": [
        ("学校乱收费", "学校老师强制学生买资料，乱收费"),
        ("入学难", "孩子上小学入学报名，学位不够"),
        ("教师待遇", "乡村教师工资待遇低，教育局何时解决"),
        ("校车安全", "学校校车超载，学生安全没保障"),
        ("幼儿园", "幼儿园收费太高，教育部门管管"),
    ],
}


def tiny_examples():
    return [(t, c, label) for label, rows in TINY.items() for t, c in rows]


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("routing-store")
    rows = tiny_examples()
    model = TextClassifier().fit([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    from django.test import override_settings

    with override_settings(ROUTING_MODEL_DIR=str(d)):
        store.save(model, {"validation": {"macro_f1": 1.0}}, make_current=True)
    return d


@pytest.fixture(autouse=True)
def routing_env(settings, tiny_store):
    """Point the store at the tiny model; forget caches that hold another test's rows."""
    settings.ROUTING_MODEL_DIR = str(tiny_store)
    store.reset()
    jurisdiction.invalidate()
    recommender.invalidate()
    yield
    store.reset()
    jurisdiction.invalidate()
    recommender.invalidate()


@pytest.fixture
def mapping(db):
    """The default category → function mapping (transactional tests flush the migration's)."""
    for code, name, function in default_rows():
        CategoryFunction.objects.get_or_create(
            category_code=code, defaults={"category_name": name, "function": function}
        )
    recommender.invalidate()


@pytest.fixture
def routed(province, mapping, monkeypatch):
    """The test province plus fallback units for 鼓楼区 and 福州市.

    Levels 2 and 3 by the name rule alone: these tests follow a demand through dispatch with the
    tiny classifier above, and the shipped level model's choice between near-tied children of a
    one-line synthetic text is not what they are about (test_levels.py and test_levelmodel.py
    test the model)."""
    monkeypatch.setattr(levelmodel, "current", lambda: None)
    p = province
    for key, region, parent in (("gl_fallback", "350102", "gl"), ("fz_fallback", "350100", "fz")):
        p.units[key] = Unit.objects.create(
            code=key,
            name=f"{p.regions[region].name}人民政府办公室",
            kind=UnitKind.FALLBACK,
            level=p.regions[region].level,
            region=p.regions[region],
            parent=p.units[parent],
            function="fallback",
        )
    recommender.invalidate()
    jurisdiction.invalidate()
    return p
