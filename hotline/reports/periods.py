"""Report periods: a month (2026-10) or a quarter (2026Q3), with the two periods they are
compared with: the one before (环比) and the same one a year earlier (同比)."""

import datetime as dt
import re
from dataclasses import dataclass

from hotline.errors import InvalidInput
from hotline.evaluation.scorecards import period_bounds

MONTHLY, QUARTERLY = "monthly", "quarterly"
KINDS = {MONTHLY: "月度", QUARTERLY: "季度"}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")


@dataclass(frozen=True)
class Period:
    kind: str
    year: int
    number: int  # month 1–12 or quarter 1–4

    @property
    def key(self) -> str:
        """The scorecards' spelling (2026-10, 2026-Q3), also used in file names."""
        if self.kind == MONTHLY:
            return f"{self.year}-{self.number:02d}"
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        if self.kind == MONTHLY:
            return f"{self.year}年{self.number}月"
        return f"{self.year}年第{'一二三四'[self.number - 1]}季度"

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC of the local (Asia/Shanghai) calendar period."""
        return period_bounds(self.key)

    @property
    def previous(self) -> "Period":
        if self.number > 1:
            return Period(self.kind, self.year, self.number - 1)
        return Period(self.kind, self.year - 1, 12 if self.kind == MONTHLY else 4)

    @property
    def last_year(self) -> "Period":
        return Period(self.kind, self.year - 1, self.number)


def parse(kind: str, value: str) -> Period:
    """`monthly` + '2026-10', or `quarterly` + '2026Q3' / '2026-Q3'; a clear error otherwise."""
    value = (value or "").strip()
    if kind == MONTHLY:
        m = _MONTH.match(value)
        if m and 1 <= int(m[2]) <= 12 and int(m[1]) >= 2000:
            return Period(MONTHLY, int(m[1]), int(m[2]))
        raise InvalidInput(
            f"月份格式应为 2026-10，收到：{value or '空'}",
            f"month must look like 2026-10, got {value!r}",
            field="month",
        )
    if kind == QUARTERLY:
        m = _QUARTER.match(value)
        if m and int(m[1]) >= 2000:
            return Period(QUARTERLY, int(m[1]), int(m[2]))
        raise InvalidInput(
            f"季度格式应为 2026Q3，收到：{value or '空'}",
            f"quarter must look like 2026Q3, got {value!r}",
            field="quarter",
        )
    raise InvalidInput(
        "报告类型应为 monthly（月度）或 quarterly（季度）",
        "report kind must be monthly or quarterly",
        field="kind",
    )


def recent(kind: str, today: dt.date, count: int) -> list[Period]:
    """The `count` last complete periods before `today`, newest first, then the current one
    first of all (a report of the running period is a report so far)."""
    if kind == MONTHLY:
        current = Period(MONTHLY, today.year, today.month)
    else:
        current = Period(QUARTERLY, today.year, (today.month - 1) // 3 + 1)
    out = [current]
    while len(out) < count + 1:
        out.append(out[-1].previous)
    return out
