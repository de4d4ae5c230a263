"""Demands whose true groups are known: paraphrases of one problem at one place.

The hard cases are built in: the same estate with two different problems, the same problem
at two estates of one county, and the same problem in two counties. Singletons of other
problems and places surround them.
"""

import random
from datetime import datetime, timedelta

from hotline.analytics.topics import Demand

PROBLEMS = {
    "noise": [
        (
            "{p}附近工地夜间施工噪音扰民",
            "每天晚上十点以后{p}旁边的工地还在打桩施工，噪音很大，老人小孩无法休息。",
        ),
        (
            "{p}旁工地半夜施工太吵",
            "{p}旁边的工地经常通宵施工，机器轰鸣，严重影响居民休息，请相关部门查处夜间施工。",
        ),
        (
            "投诉{p}工地深夜施工噪音",
            "住在{p}，附近工地深夜施工噪音扰民已经一个多月，希望尽快处理。",
        ),
        ("{p}夜间施工扰民何时能管", "{p}周边工地夜间违规施工，噪音超标，多次投诉无果。"),
    ],
    "lift": [
        (
            "{p}电梯频繁故障停运",
            "{p}3栋电梯三天两头坏，最近又停运一周，物业迟迟不修，老人上下楼非常困难。",
        ),
        (
            "{p}电梯坏了没人修",
            "我们{p}的电梯坏了十多天，物业说在等配件，业主出行不便，请督促维修。",
        ),
        ("反映{p}电梯故障问题", "{p}电梯多次困人，存在安全隐患，物业维保不到位。"),
        ("{p}电梯长期停运", "{p}电梯停运很久了，物业不作为，请监管部门介入维修电梯。"),
    ],
    "smoke": [
        ("{p}底层餐馆油烟扰民", "{p}楼下的餐馆没有安装油烟净化设施，油烟直排，家里窗户都不敢开。"),
        (
            "{p}临街门面烧烤油烟大",
            "{p}临街门面开了烧烤店，每晚油烟弥漫，气味刺鼻，请环保部门处理。",
        ),
        ("投诉{p}饭店油烟直排", "{p}一楼饭店油烟直排居民楼，严重影响生活，多次反映没有效果。"),
    ],
    "water": [
        ("{p}经常停水", "{p}这个月已经停水四次了，没有任何通知，居民生活用水困难。"),
        ("{p}频繁停水无通知", "{p}最近频繁停水，自来水公司没有提前通知，请给个说法。"),
        ("{p}停水问题何时解决", "{p}一到晚上就停水，水压也很低，希望供水部门尽快解决。"),
    ],
}

# (group name, region, place, problem, size)
GROUPS = [
    ("lifa-noise", "A市A2区", "丽发新城小区", "noise", 9),
    ("lifa-lift", "A市A2区", "丽发新城小区", "lift", 7),  # same place, another problem
    ("jinse-noise", "A市A2区", "金色家园小区", "noise", 6),  # same county, another estate
    ("meili-noise", "A市A5区", "魅力之城小区", "noise", 6),  # another county
    ("meili-smoke", "A市A5区", "魅力之城小区", "smoke", 8),
    ("xingsha-water", "A市A7县", "星沙花园", "water", 7),
    ("yiyuan-water", "A市A3区", "怡园小区", "water", 5),
]

SINGLES = [
    ("咨询社保卡补办流程", "社保卡丢了，想知道在哪里补办，需要带身份证吗？"),
    ("公积金提取需要什么材料", "租房提取住房公积金，要准备哪些证明？"),
    ("公交409路发车间隔太长", "早高峰409路要等四十分钟，建议加密班次。"),
    ("建议在人民路口增设过街天桥", "人民路口车流量大，行人横穿马路很危险。"),
    ("幼儿园收费标准是多少", "公办幼儿园保教费每月多少，有没有统一标准？"),
    ("医保异地报销怎么办理", "在外省住院，回来后如何报销医疗费用？"),
    ("出租车拒载怎么投诉", "火车站出租车挑客拒载，想投诉应该找哪个部门？"),
    ("东风路路灯不亮好几天了", "东风路一段路灯晚上全黑，行人骑车都不安全。"),
    ("地铁站口共享单车乱停", "地铁口单车堆成山，挡住盲道和出入口。"),
    ("退休工资调整什么时候发", "今年养老金上调的部分什么时候到账？"),
    ("新生儿落户需要哪些证件", "孩子刚出生，上户口要准备出生证明和什么材料？"),
    ("驾驶证到期换证", "驾照快到期了，可以在网上申请换证吗？"),
    ("不动产权证办理进度查询", "交房两年了还没拿到产权证，进度在哪里查？"),
    ("农民工工资被拖欠三个月", "在某工程干活，包工头拖欠工资三个月不给。"),
    ("图书馆开放时间", "市图书馆周一开不开门，晚上几点闭馆？"),
    ("狂犬疫苗在哪里打", "被狗抓伤了，附近哪个医院可以打狂犬疫苗？"),
]


def build(seed: int = 7) -> tuple[list[Demand], dict]:
    """The demands and the true group of each key (singletons get their own)."""
    rng = random.Random(seed)
    t0 = datetime(2025, 10, 1, 9, 0)
    demands, truth = [], {}
    for name, region, place, problem, size in GROUPS:
        for k in range(size):
            title, content = rng.choice(PROBLEMS[problem])
            short = place if rng.random() < 0.7 else place.removesuffix("小区")
            key = f"{name}-{k}"
            demands.append(Demand(
                key=key, title=f"{region}{title.format(p=short)}",
                text=f"{region}{title.format(p=short)} {content.format(p=short)}",
                citizen=f"1380000{rng.randrange(10_000):04d}", region="", place="",
                at=t0 + timedelta(hours=rng.randrange(24 * 20)),
            ))  # fmt: skip
            truth[key] = name
    for i, (title, content) in enumerate(SINGLES):
        key = f"single-{i}"
        demands.append(Demand(key=key, title=f"A市{title}", text=f"A市{title} {content}",
                              citizen=f"1390000{i:04d}", region="", place="",
                              at=t0 + timedelta(hours=i * 7)))  # fmt: skip
        truth[key] = key
    rng.shuffle(demands)
    return demands, truth
