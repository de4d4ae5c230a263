"""The centers' line on the scorecard (中心话务指标): how well each hotline center answered
its calls in the period — answer rate, service level, ASA, AHT, abandoned.

The definitions are the calls app's (hotline/calls/figures.py, docs/calls.md); this module
only chooses the centers and the period. A center's figures are its own calls (the calls of
its queues and seats), not those of the centers below it, so that each center is measured on
the calls it had to answer.
"""

import datetime as dt
from dataclasses import dataclass

from hotline.calls import conf
from hotline.calls import figures as call_figures
from hotline.catalog.calendar import to_local

from .scorecards import period_bounds

# (key, label, definition) in the order the page and the API show them.
COLUMNS = [
    ("offered", "呼入量", "进入热线的呼入电话（通），含短时放弃"),
    ("answered", "接听量", "座席接听的呼入电话（通）"),
    ("abandoned", "放弃量", "排队或振铃中挂机、且等待超过短时放弃阈值的电话（通）"),
    ("short_abandons", "短时放弃", "等待不超过短时放弃阈值即挂机的电话，不计入接通率"),
    ("answer_rate", "接通率", "接听量 ÷（呼入量 − 短时放弃）"),
    ("service_level", "服务水平", "T 秒内接听的电话 ÷（接听量 + 放弃量）"),
    ("asa_seconds", "平均应答速度（秒）", "接听电话的平均等待秒数（ASA）"),
    ("aht_seconds", "平均处理时长（秒）", "接听电话的平均 通话 + 保持 + 话后整理 秒数（AHT）"),
]


@dataclass
class CenterCalls:
    unit: object
    figures: dict

    def shown(self, key: str) -> str:
        value = self.figures[key]
        if value is None:
            return "—"
        if key in ("answer_rate", "service_level"):
            return f"{value * 100:.2f}%"
        return f"{value:,}" if isinstance(value, int) else f"{value}"


def days_of(period: str) -> tuple[dt.date, dt.date]:
    """The first and the last local day of a scorecard period ('2025-10', '2025-Q4', '2025')."""
    start, end = period_bounds(period)
    return to_local(start).date(), to_local(end).date() - dt.timedelta(days=1)


def centers(units):
    """The hotline centers (and sub-centers) among `units`."""
    return units.filter(kind__in=["center", "subcenter"])


def compute(units, period: str) -> list[CenterCalls]:
    """The call figures of each center of `units` over `period`, in unit code order."""
    first, last = days_of(period)
    found = list(centers(units).order_by("code"))
    ids = [u.pk for u in found]
    figures = call_figures.summed(centers=ids, day_from=first, day_to=last, by=["center"])
    rows = {r["center"]: r for r in figures}
    empty = call_figures.totals(call_figures.calls_of().none())
    return [CenterCalls(unit=u, figures=rows.get(u.pk, empty)) for u in found]


def definitions() -> list[tuple[str, str]]:
    """(label, definition) with this deployment's thresholds written in."""
    t, short = conf.service_level_seconds(), conf.short_abandon_seconds()
    out = []
    for key, label, text in COLUMNS:
        if key == "service_level":
            label, text = f"{t} 秒服务水平", text.replace("T 秒", f"{t} 秒")
        out.append((label, text.replace("短时放弃阈值", f"短时放弃阈值（{short} 秒）")))
    return out
