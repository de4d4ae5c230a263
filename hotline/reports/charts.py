"""Report charts as PNG bytes (matplotlib, Agg), labelled in Chinese with a CJK font.

The font comes from fonts-noto-cjk (installed by the project's setup) and is looked up
through matplotlib's font manager; without a CJK font every label would be a row of boxes,
so a missing font is an error that says what to install, never a silent bad chart.
"""

import io
from functools import cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from .figures import Figures  # noqa: E402

PREFERRED = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei")
COLORS = ["#c23531", "#2f4554", "#61a0a8", "#d48265", "#91c7ae", "#749f83", "#ca8622", "#bda29a"]
DPI = 150


class FontMissing(RuntimeError):
    pass


@cache
def cjk_family() -> str:
    """The name of an installed CJK font family, preferring Simplified Chinese faces."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not any("CJK" in n or n in PREFERRED for n in names):
        # Matplotlib caches the font list at its first import; a font installed since (as
        # `make browser` does on a fresh machine) is only seen after a rescan.
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        names = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in names:
            return name
    fallback = sorted(n for n in names if "CJK SC" in n or "CJK" in n)
    if fallback:
        return fallback[0]
    raise FontMissing(
        "未找到中文字体，图表无法显示中文：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）"
        " / no CJK font found: install fonts-noto-cjk, or the charts would show boxes"
    )


def _figure(width=7.0, height=3.2):
    plt.rcParams["font.family"] = [cjk_family()]
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(width, height), dpi=DPI)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def daily_volume(f: Figures) -> bytes:
    fig, ax = _figure()
    days = [d.day for d, _ in f.daily]
    ax.plot(days, [n for _, n in f.daily], color=COLORS[0], marker="o", ms=3, label="本期")
    if f.prev_daily:
        ax.plot([d.day for d, _ in f.prev_daily], [n for _, n in f.prev_daily],
                color=COLORS[1], ls="--", lw=1, label="上期")  # fmt: skip
    ax.set_ylim(bottom=0)
    ax.set_xlabel("日")
    ax.set_ylabel("受理量（件）")
    ax.set_title("每日受理量")
    ax.legend(frameon=False)
    return _png(fig)


def bars(rows, title: str, *, limit: int = 10, compare: bool = True) -> bytes:
    rows = rows[:limit]
    fig, ax = _figure(height=max(2.4, 0.32 * len(rows) + 1.0))
    labels = [r.label for r in rows][::-1]
    ys = range(len(rows))
    h = 0.4 if compare else 0.6
    ax.barh([y + (h / 2 if compare else 0) for y in ys], [r.now for r in rows][::-1],
            height=h, color=COLORS[0], label="本期")  # fmt: skip
    if compare:
        ax.barh([y - h / 2 for y in ys], [r.prev for r in rows][::-1], height=h,
                color=COLORS[2], label="上期")  # fmt: skip
        ax.legend(frameon=False, loc="lower right")
    ax.set_yticks(list(ys), labels)
    ax.set_xlabel("件")
    ax.set_title(title)
    return _png(fig)


def satisfaction(f: Figures) -> bytes:
    rows = [r for r in f.satisfaction if r.key and r.now]
    fig, ax = _figure(width=5.0, height=3.2)
    if rows:
        ax.pie([r.now for r in rows], labels=[f"{r.label} {r.now}" for r in rows],
               colors=COLORS[: len(rows)], autopct="%1.1f%%", startangle=90,
               wedgeprops={"linewidth": 1, "edgecolor": "white"})  # fmt: skip
    else:
        ax.text(0.5, 0.5, "本期暂无回访评价", ha="center", va="center")
        ax.axis("off")
    ax.set_title("回访满意度构成")
    return _png(fig)


def calls_by_hour(f: Figures) -> bytes:
    """Calls offered vs answered by local hour of the day, over the whole period."""
    hours = f.calls.hourly
    fig, ax = _figure()
    xs = [h["hour"] for h in hours]
    ax.bar([x - 0.2 for x in xs], [h["offered"] for h in hours], width=0.4, color=COLORS[1],
           label="呼入")  # fmt: skip
    ax.bar([x + 0.2 for x in xs], [h["answered"] for h in hours], width=0.4, color=COLORS[0],
           label="接听")  # fmt: skip
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("时（北京时间）")
    ax.set_ylabel("电话（通）")
    ax.set_title("分时段呼入量与接听量")
    ax.legend(frameon=False)
    return _png(fig)


def all_charts(f: Figures) -> dict[str, tuple[str, bytes]]:
    """{key: (caption, png)} in the order the report shows them."""
    shown = {
        "daily": ("图1 每日受理量（本期与上期）", daily_volume(f)),
        "channels": ("图2 受理渠道分布", bars(f.channels, "受理渠道")),
        "categories": ("图3 诉求分类前十", bars(f.categories, "诉求分类（一级）")),
        "regions": ("图4 区域分布", bars(f.regions, "区域分布", limit=12)),
        "satisfaction": ("图5 回访满意度", satisfaction(f)),
    }
    if f.calls is not None:
        shown["calls_hourly"] = ("图6 分时段呼入量与接听量", calls_by_hour(f))
    return shown
