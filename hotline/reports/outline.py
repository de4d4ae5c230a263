"""The report as a list of blocks (headings, paragraphs, tables, charts), built once from
the figures; the Word and the HTML writers both render this list, so they never disagree."""

from dataclasses import dataclass, field
from decimal import Decimal

from hotline.evaluation.scorecards import RATES

from .figures import Figures, Row
from .findings import signed

DIGITS = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """1–99 in Chinese numerals, as section numbers are written: 一 … 十 … 十一 … 二十三."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else DIGITS[tens] + "十")
    return head + (DIGITS[ones] if ones else "") or "零"


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Para:
    text: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    widths: list[float] | None = None  # relative column widths, for the Word file


@dataclass
class Chart:
    key: str


@dataclass
class Outline:
    title: str
    issuer: str
    date: str
    blocks: list = field(default_factory=list)

    def section(self, text: str) -> None:
        n = sum(1 for b in self.blocks if isinstance(b, Heading) and b.level == 1)
        self.blocks.append(Heading(f"{chinese(n + 1)}、{text}"))


def num(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value}%"
    return f"{value:,}"


def num_score(value) -> str:
    """A score or a coefficient as it is, not as a percent."""
    return "—" if value is None else str(value)


def _change(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:+}%"


def compare_table(rows: list[Row], first: str, *, limit: int | None = None) -> Table:
    shown = rows[:limit] if limit else rows
    return Table(
        [first, "本期（件）", "占比", "上期（件）", "环比", "去年同期（件）", "同比"],
        [[r.label, num(r.now), num(r.share), num(r.prev), _change(r.mom), num(r.last_year),
          _change(r.yoy)] for r in shown],
    )  # fmt: skip


def title_of(f: Figures) -> str:
    kind = "月度" if f.period.kind == "monthly" else "季度"
    return f"{f.region_name}12345热线{f.period.label}诉求{kind}分析报告"


def _ratio(value) -> str:
    """A fraction of the calls app (0.6667) as the report writes rates (66.67%)."""
    return "—" if value is None else f"{value * 100:.2f}%"


def _seconds(value) -> str:
    return "—" if value is None else f"{value:g}"


def _calls(o: Outline, c) -> None:
    t, sl = c.totals, c.service_level_seconds
    o.section("话务接听")
    o.blocks.append(Para(
        f"本期热线呼入{t['offered']:,}通，座席接听{t['answered']:,}通，接通率{_ratio(t['answer_rate'])}"
        f"（{c.short_abandon_seconds}秒内挂机的短时放弃{t['short_abandons']:,}通不计入）；"
        f"{sl}秒服务水平{_ratio(t['service_level'])}，平均应答速度{_seconds(t['asa_seconds'])}秒，"
        f"平均处理时长{_seconds(t['aht_seconds'])}秒；放弃{t['abandoned']:,}通，留言{t['voicemail']:,}通。"
    ))  # fmt: skip
    o.blocks.append(Table(
        ["中心", "呼入", "接听", "放弃", "接通率", f"{sl}秒服务水平", "平均应答（秒）", "平均处理（秒）"],
        [[name, num(r["offered"]), num(r["answered"]), num(r["abandoned"]), _ratio(r["answer_rate"]),
          _ratio(r["service_level"]), _seconds(r["asa_seconds"]), _seconds(r["aht_seconds"])]
         for name, r in c.centers],
        "各中心话务指标", [4, 1.2, 1.2, 1.2, 1.5, 1.8, 1.8, 1.8],
    ))  # fmt: skip
    o.blocks.append(Chart("calls_hourly"))


def build(f: Figures, date_text: str) -> Outline:
    o = Outline(title=title_of(f), issuer=f.issuer, date=date_text)
    b = o.blocks
    o.section("总体情况")
    for i, text in enumerate(f.findings, 1):
        b.append(Para(f"（{chinese(i)}）{text}"))

    o.section("受理量与受理渠道")
    v, t = f.volume, f.totals
    b.append(Para(
        f"{f.period.label}共受理诉求{v.now:,}件，上期{v.prev:,}件，环比{signed(v.mom)}；"
        f"去年同期{v.last_year:,}件，同比{signed(v.yoy)}。其中已办结{t['closed']:,}件，"
        f"办理中{t['open']:,}件，无效{t['invalid']:,}件，并单{t['merged']:,}件。"
    ))  # fmt: skip
    b.append(Chart("daily"))
    b.append(compare_table(f.channels, "渠道"))
    b.append(Chart("channels"))

    o.section("诉求分类与区域分布")
    b.append(Heading("（一）诉求分类（一级分类）", 2))
    b.append(compare_table(f.categories, "分类", limit=10))
    b.append(Chart("categories"))
    b.append(Heading("（二）区域分布", 2))
    b.append(compare_table(f.regions, "区域"))
    b.append(Chart("regions"))

    o.section("诉求类型")
    b.append(compare_table([r for r in f.appeal_types if r.now or r.prev or r.last_year], "类型"))

    o.section("满意度与“三率”")
    b.append(Para(
        f"本期受理工单中已回访评价{t['rated']:,}件（联系不上{t['unreachable']:,}件不计入），"
        f"满意和基本满意{t['good']:,}件，满意率{num(f.satisfaction_rate)}"
        f"（上期{num(f.prev_satisfaction_rate)}）。"
    ))  # fmt: skip
    b.append(compare_table(f.satisfaction, "回访结果"))
    b.append(Chart("satisfaction"))
    b.append(Para("承办单位考评指标（口径同考评：本期派单的工单，分子/分母）："))
    b.append(Table(["指标", "分子", "分母", "比率"],
                   [[label, num(f.rates[n][0]), num(f.rates[n][1]), num(f.rate(n))]
                    for n, label in RATES]))  # fmt: skip

    o.section("承办单位排名")
    rank_header = ["名次", "承办单位", "派单量", "响应率", "解决率", "满意率", "综合得分"]
    rank_widths = [1, 5, 1.4, 1.5, 1.5, 1.5, 1.5]

    def rank_rows(rows):
        return [[str(r.rank), r.unit, num(r.dispatched), num(r.response), num(r.resolution),
                 num(r.satisfaction), str(r.total)] for r in rows]  # fmt: skip

    b.append(Para(
        f"按考评综合得分（响应率、解决率、满意率加权）排名，本期派单不少于{f.rank_minimum}件的"
        f"承办单位{f.ranked_units:,}个参加排名。"
    ))  # fmt: skip
    if f.ranking:
        b.append(Table(rank_header, rank_rows(f.ranking), "综合得分前十名", rank_widths))
        if f.ranking_bottom:
            b.append(Table(rank_header, rank_rows(f.ranking_bottom), "综合得分后五名",
                           rank_widths))  # fmt: skip
    else:
        b.append(Para("本期暂无参加排名的承办单位。"))

    o.section("超期与督办")
    w = f.deadline_warnings
    b.append(Para(
        f"本期受理工单中超期{t['overdue']:,}件（其中至今未办结{t['overdue_open']:,}件）；"
        f"发出时限预警红色{w.get('red', 0):,}次、黄色{w.get('yellow', 0):,}次；"
        f"督办{sum(r.now for r in f.supervision_states):,}件。"
    ))  # fmt: skip
    if f.supervision_states:
        b.append(compare_table(f.supervision_states, "督办状态"))
        b.append(compare_table(f.supervision_sources, "督办来源"))

    o.section("热点问题")
    if f.hot_topics:
        b.append(Table(["序号", "热点", "件数", "诉求人数", "热度", "关键词"],
                       [[str(i), h.title, num(h.size), num(h.citizens), f"{h.heat:g}",
                         "、".join(h.phrases)] for i, h in enumerate(f.hot_topics, 1)],
                       widths=[1, 6, 1.2, 1.5, 1.2, 3]))  # fmt: skip
        if any(h.estimated for h in f.hot_topics):
            from hotline.analytics.topics import SAMPLE_MAX  # numpy and scikit-learn: when used

            b.append(Para(f"本期诉求较多，热点按随机抽取的{SAMPLE_MAX:,}件诉求分析，"
                          "件数、诉求人数和热度为按比例估算的约数。"))  # fmt: skip
    else:
        b.append(Para("本期未形成热点问题。"))

    o.section("风险预警")
    levels = f.risk_levels
    b.append(Para(
        f"本期受理工单中甄别出红色风险{levels.get('red', 0):,}件、橙色{levels.get('orange', 0):,}件、"
        f"黄色{levels.get('yellow', 0):,}件；发出风险提醒{sum(r.now for r in f.risk_alerts):,}条。"
    ))  # fmt: skip
    if f.risk_alerts:
        b.append(compare_table(f.risk_alerts, "提醒类型"))
    if f.early_warnings:
        b.append(Table(["日期", "类型", "级别", "预警内容"],
                       [[str(w.day or ""), w.kind, w.level, w.title] for w in f.early_warnings],
                       "趋势与突增预警", [2, 1.5, 1.2, 7]))  # fmt: skip

    if f.quality is not None and f.quality.items:
        o.section("话务质量抽查")
        q = f.quality
        b.append(Para(
            f"本期抽查话务员受理工单{q.items:,}件，已评分{q.scored:,}件，平均得分{num_score(q.score)}，"
            f"评分项差错率{num(q.fault_rate)}；话务员申诉{q.appeals:,}件，经复核改判{q.changed:,}件。"
            f"质检员一致性（Cohen's κ，{q.agreement.items:,}件双评）为{num_score(q.agreement.kappa)}。"
        ))  # fmt: skip
        if q.faults:
            b.append(Table(["评分项", "差错次数", "占比"],
                           [[x.label, num(x.count), num(x.share)] for x in q.faults],
                           "常见差错", [6, 2, 2]))  # fmt: skip

    if f.calls is not None:
        _calls(o, f.calls)

    o.section("典型案例")
    if not f.cases:
        b.append(Para("本期无典型案例。"))
    for i, c in enumerate(f.cases, 1):
        b.append(Heading(f"（{chinese(i)}）{c.why}：{c.title}", 2))
        b.append(Para(f"工单{c.number}，{c.place}，{c.category}。诉求：{c.content}"))
        if c.reply:
            b.append(Para(f"答复：{c.reply}"))
        b.append(Para(f"结果：{c.outcome}。"))

    o.section("统计口径")
    b.append(Para(
        "受理量、渠道、分类、区域、诉求类型、满意度和超期按本期受理（登记）的工单统计；"
        "满意率＝（满意＋基本满意）÷（满意＋基本满意＋不满意），联系不上不计入；"
        "超期指办理时限已过而未答复或逾期答复；“三率”与排名同考评口径，按本期派单的工单统计；"
        "话务指标按来电日期统计：接通率＝接听÷（呼入−短时放弃），服务水平＝限定秒数内接听÷"
        "（接听＋放弃），平均处理时长含通话、保持与话后整理；"
        "环比与上一周期比较，同比与去年同一周期比较。"
    ))  # fmt: skip
    return o
