"""Synthetic demands for the demo and the benchmarks, written by the project's own templates.

Nothing here is real: places come from the region table, estates and people are invented.
"""

import random
import string
from dataclasses import dataclass

ESTATES = [
    "金色家园",
    "阳光花园",
    "榕城名苑",
    "东湖小区",
    "江滨新村",
    "三坊七巷公寓",
    "温泉花苑",
    "福新小区",
    "海峡城",
    "南湖佳园",
    "华林新村",
    "鼓山苑",
    "西湖雅居",
    "闽江一号",
    "屏山小区",
]
ROADS = ["五四路", "八一七路", "湖东路", "温泉路", "杨桥路", "华林路", "工业路", "江滨大道"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明"]


@dataclass(frozen=True)
class Template:
    category: str  # level-3 code from the category fixture
    function: str  # the kind of department that handles it
    appeal_type: str
    title: str
    content: str


TEMPLATES = [
    Template(
        "011003",
        "housing",
        "complaint",
        "{estate}物业不作为",
        "{place}{estate}物业长期不打扫楼道，垃圾堆积，业主多次反映无人处理，请相关部门督促整改。",
    ),
    Template(
        "010212",
        "housing",
        "help",
        "{estate}电梯故障停运",
        "{place}{estate}{n}号楼电梯停运已{d}天，楼内多位老人上下楼困难，请尽快协调维修。",
    ),
    Template(
        "010216",
        "water",
        "help",
        "{road}附近停水",
        "{place}{road}一带从{d}日起停水，没有任何通知，居民生活受影响，请问何时恢复供水？",
    ),
    Template(
        "010215",
        "power",
        "help",
        "{estate}频繁停电",
        "{place}{estate}近一周停电{n}次，家中电器受损，请供电部门查明原因。",
    ),
    Template(
        "040203",
        "ecology",
        "complaint",
        "{road}工地夜间施工噪音扰民",
        "{place}{road}工地每天晚上十点后仍在施工，噪音很大，影响周边居民休息，请依法查处。",
    ),
    Template(
        "040206",
        "ecology",
        "report",
        "{road}企业排放刺鼻废气",
        "{place}{road}附近一家工厂傍晚排放刺鼻气味，周边居民不敢开窗，请环保部门检查。",
    ),
    Template(
        "150306",
        "hrss",
        "complaint",
        "公司拖欠工资{n}个月",
        "本人在{place}一家公司工作，公司已拖欠工资{n}个月共{m}元，多次讨要未果，请求帮助。",
    ),
    Template(
        "150604",
        "hrss",
        "help",
        "农民工工资被拖欠",
        "我们{n}名农民工在{place}{estate}项目务工，包工头拖欠工资，春节前急需回家，请帮忙协调。",
    ),
    Template(
        "150201",
        "hrss",
        "consult",
        "养老保险转移接续怎么办理",
        "本人从外省调到{place}工作，想咨询职工养老保险关系转移接续需要哪些材料、到哪里办理。",
    ),
    Template(
        "120401",
        "market",
        "report",
        "{road}餐馆卫生问题",
        "{place}{road}一家餐馆后厨卫生很差，吃完后多人腹泻，请市场监管部门检查。",
    ),
    Template(
        "110408",
        "market",
        "complaint",
        "{estate}周边商户乱涨价",
        "{place}{estate}周边超市蔬菜价格一周上涨一倍，未明码标价，请物价部门查处。",
    ),
    Template(
        "010202",
        "urban",
        "complaint",
        "{road}占道经营",
        "{place}{road}人行道上长期有流动摊贩占道经营，行人只能走机动车道，存在安全隐患。",
    ),
    Template(
        "010204",
        "urban",
        "help",
        "{road}路灯损坏",
        "{place}{road}有{n}盏路灯不亮已一个多月，夜间出行很不安全，请尽快维修。",
    ),
    Template(
        "130503",
        "police",
        "consult",
        "驾驶证到期换证咨询",
        "请问在{place}驾驶证到期换证需要带什么材料，可以网上办理吗？",
    ),
    Template(
        "140303",
        "education",
        "complaint",
        "学校违规收取资料费",
        "{place}某小学要求每位学生缴纳资料费{m}元，没有收据，请教育部门核实。",
    ),
    Template(
        "060301",
        "transport",
        "complaint",
        "出租车拒载绕路",
        "{d}日晚在{place}{road}打车，出租车司机拒载并要求加价，车牌尾号{n}，请处理。",
    ),
    Template(
        "011002",
        "housing",
        "suggestion",
        "建议增加保障性住房供应",
        "{place}新就业大学生租房压力大，建议增加保障性租赁住房供应，简化申请流程。",
    ),
    Template(
        "010209",
        "urban",
        "praise",
        "表扬{road}环卫工人",
        "{place}{road}的环卫工人每天清晨认真清扫，路面干净整洁，特此表扬。",
    ),
]


def person(rng: random.Random) -> tuple[str, str]:
    # Picks from rng.random() alone: the bulk loader calls this a million times.
    r = rng.random
    name = SURNAMES[int(r() * len(SURNAMES))] + GIVEN[int(r() * len(GIVEN))]
    if r() < 0.6:
        name += GIVEN[int(r() * len(GIVEN))]
    phone = f"1{'3578'[int(r() * 4)]}{int(r() * 1_000_000_000):09d}"
    return name, phone


def demand_text(rng: random.Random, template: Template, place: str) -> tuple[str, str, str]:
    """(title, content, address) for one demand at `place`."""
    r = rng.random
    estate = ESTATES[int(r() * len(ESTATES))]
    road = ROADS[int(r() * len(ROADS))]
    n = 2 + int(r() * 11)  # 2..12
    d = 2 + int(r() * 19)  # 2..20
    m = (3 + int(r() * 88)) * 100  # 300..9000
    title, content = _positional(template)
    return (
        title.format(place, estate, road, n, d, m),
        content.format(place, estate, road, n, d, m),
        f"{place}{road}{n}号",
    )


# The templates' named fields, in the order demand_text passes them.
FIELDS = ("place", "estate", "road", "n", "d", "m")
_POSITIONAL: dict[int, tuple[Template, str, str]] = {}


def _positional(template: Template) -> tuple[str, str]:
    """The title and content with positional fields: str.format is faster so than with names."""
    compiled = _POSITIONAL.get(id(template))
    if compiled is None or compiled[0] is not template:
        compiled = (template, _to_positions(template.title), _to_positions(template.content))
        _POSITIONAL[id(template)] = compiled
    return compiled[1], compiled[2]


def _to_positions(text: str) -> str:
    out = []
    for literal, name, spec, conversion in string.Formatter().parse(text):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            out.append(
                "{"
                + str(FIELDS.index(name))
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
    return "".join(out)
