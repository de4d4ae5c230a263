"""Findings (主要发现): short sentences written from the figures, never from a template of
fixed claims — each sentence appears only when its numbers support it."""

from decimal import Decimal

from .figures import Figures, Row


def signed(value: Decimal | None, unit: str = "%") -> str:
    if value is None:
        return "无可比数据"
    if value > 0:
        return f"增长{value}{unit}"
    if value < 0:
        return f"下降{-value}{unit}"
    return "持平"


def _biggest_rise(rows: list[Row]) -> Row | None:
    rising = [r for r in rows if r.now - r.prev > 0]
    return max(rising, key=lambda r: (r.now - r.prev, r.now), default=None)


def write(f: Figures) -> list[str]:
    out = []
    v, name = f.volume, f.period.label
    if not v.now:
        return [f"{name}{f.region_name}未受理群众诉求。"]
    s = f"{name}共受理群众诉求{v.now:,}件，环比{signed(v.mom)}，同比{signed(v.yoy)}"
    rise = _biggest_rise(f.channels) if v.now > v.prev else None
    if rise is not None:
        s += f"，增量主要来自{rise.label}渠道（增加{rise.now - rise.prev:,}件）"
    out.append(s + "。")

    if f.categories:
        top = f.categories[0]
        s = f"诉求最集中的是「{top.label}」类，共{top.now:,}件，占{top.share}%"
        grow = _biggest_rise(f.categories)
        if grow is not None and grow.key != top.key:
            s += f"；增加最多的是「{grow.label}」类（增加{grow.now - grow.prev:,}件）"
        out.append(s + "。")
    if len(f.regions) > 1:
        r = f.regions[0]
        out.append(f"从区域看，{r.label}受理量最多，{r.now:,}件，占{r.share}%。")
    complaints = next((r for r in f.appeal_types if r.key == "complaint"), None)
    if complaints and complaints.now:
        out.append(
            f"投诉类诉求{complaints.now:,}件，占{complaints.share}%，环比{signed(complaints.mom)}。"
        )

    if f.satisfaction_rate is not None:
        s = f"回访满意率（满意与基本满意占有效评价）为{f.satisfaction_rate}%"
        if f.prev_satisfaction_rate is not None:
            diff = f.satisfaction_rate - f.prev_satisfaction_rate
            s += f"，较上期{signed(diff, '个百分点')}"
        out.append(s + "。")
    rates = [(label, f.rate(n)) for n, label in
             (("response", "响应率"), ("resolution", "解决率"), ("satisfaction", "满意率"))]  # fmt: skip
    known = [f"{label}{r}%" for label, r in rates if r is not None]
    if known:
        out.append("承办单位" + "、".join(known) + "（考评口径）。")

    t = f.totals
    if t["overdue"]:
        s = f"超期工单{t['overdue']:,}件，占{_share(t['overdue'], v.now)}%"
        if t["overdue_open"]:
            s += f"，其中{t['overdue_open']:,}件至今未办结"
        out.append(s + "。")
    opened = sum(r.now for r in f.supervision_states)
    if opened:
        cleared = next((r.now for r in f.supervision_states if r.key == "cleared"), 0)
        out.append(f"开展督办{opened:,}件，已销号{cleared:,}件。")
    if f.ranking:
        best = f.ranking[0]
        worst = (f.ranking_bottom or f.ranking[1:])[-1:] if len(f.ranking) > 1 else []
        if worst and worst[0].total == best.total:
            # A "lowest" that equals the highest would read as a criticism of a full score.
            out.append(f"参评承办单位综合得分均为{best.total}分。")
        else:
            s = f"综合得分最高的承办单位是{best.unit}（{best.total}分）"
            if worst:
                s += f"，最低的是{worst[0].unit}（{worst[0].total}分）"
            out.append(s + "。")
    if f.hot_topics:
        h = f.hot_topics[0]
        about = "约" if h.estimated else ""
        out.append(f"本期最突出的热点是「{h.title}」，涉及{about}{h.size:,}件诉求。")
    red = f.risk_levels.get("red", 0)
    if red:
        out.append(f"甄别出红色风险诉求{red:,}件，需持续关注稳控。")
    return out


def _share(num: int, den: int) -> Decimal:
    return (Decimal(num) * 100 / den).quantize(Decimal("0.1")) if den else Decimal(0)
