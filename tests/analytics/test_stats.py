"""Spike, growth and concentration statistics on synthetic series with a fixed seed."""

import numpy as np
import pytest

from hotline.analytics import stats

WEEKDAY_MEANS = [30, 28, 27, 29, 26, 12, 9]  # Monday … Sunday: a hotline's week
WEEKS_TESTED = 12


def seasonal_series(seed: int, *, cells: int, weeks: int, scale: float = 1.0) -> np.ndarray:
    """Poisson counts with a weekly cycle: cells × days."""
    rng = np.random.default_rng(seed)
    means = np.tile(WEEKDAY_MEANS, weeks) * scale
    return rng.poisson(means, size=(cells, len(means)))


def run_detector(series: np.ndarray) -> set[tuple[int, int]]:
    """(cell, day) flagged over the last WEEKS_TESTED weeks, all cells tested together."""
    tests, where = [], []
    first = stats.WEEKS * 7
    for c, row in enumerate(series):
        for day in range(first, len(row)):
            baseline = [int(row[day - 7 * k]) for k in range(stats.WEEKS, 0, -1)]
            tests.append(stats.spike(int(row[day]), baseline))
            where.append((c, day))
    return {w for w, f in zip(where, stats.flagged(tests), strict=True) if f}


def test_clean_seasonal_weeks_raise_no_alarm():
    series = seasonal_series(20251001, cells=30, weeks=stats.WEEKS + WEEKS_TESTED)

    assert run_detector(series) == set()


def test_injected_spikes_are_all_found_and_nothing_else():
    series = seasonal_series(7, cells=30, weeks=stats.WEEKS + WEEKS_TESTED)
    rng = np.random.default_rng(11)
    injected = set()
    # Days 56… are tested; day % 7 is the weekday (0 Monday). Rises of 2.5× on a weekday
    # (about 27 → 68) and 4× on a weekend day (9 → 36) must stand out among 2,520 tests.
    for c, day, factor in [(0, 60, 2.5), (3, 61, 4.0), (5, 65, 4.0), (8, 70, 2.5), (12, 75, 4.0),
                           (15, 80, 4.0), (19, 90, 4.0), (22, 100, 3.0), (25, 110, 4.0),
                           (29, 139, 4.0)]:  # fmt: skip
        extra = rng.poisson(WEEKDAY_MEANS[day % 7] * (factor - 1))
        series[c, day] += extra
        injected.add((c, day))

    assert run_detector(series) == injected


def test_overdispersed_baseline_needs_a_bigger_jump():
    calm = stats.spike(20, [10, 11, 9, 10, 10, 9, 11, 10])
    noisy = stats.spike(20, [2, 18, 4, 16, 10, 3, 17, 10])

    assert calm.method.startswith("conditional binomial")
    assert noisy.method == "negative binomial"
    assert calm.p_value < 0.01 < 0.05 < noisy.p_value


@pytest.mark.parametrize(
    ("count", "baseline", "flag"),
    [
        pytest.param(4, [0, 0, 0, 0, 0, 0, 0, 0], False, id="below-minimum-count"),
        pytest.param(12, [10, 10, 10, 10, 10, 10, 10, 10], False, id="within-ratio"),
        pytest.param(30, [10, 10, 10, 10, 10, 10, 10, 10], True, id="threefold"),
    ],
)
def test_minimum_count_and_ratio(count, baseline, flag):
    assert stats.flagged([stats.spike(count, baseline)]) == [flag]


def test_growth_and_concentration():
    rising = stats.growth(12, 4, 3, 11)  # 4/day lately against 0.36/day before
    steady = stats.growth(3, 11, 3, 11)
    piled = stats.concentration(30, 50, 100, 1000, 10)  # usually 10 %, now 60 %
    usual = stats.concentration(6, 50, 100, 1000, 10)

    assert stats.flagged([rising, steady, piled, usual]) == [True, False, True, False]
    assert stats.level(piled) == "red"


def test_levels():
    assert stats.level(stats.Test(9, 8.0, 1e-7, "")) == "red"
    assert stats.level(stats.Test(16, 8.0, 1e-4, "")) == "orange"
    assert stats.level(stats.Test(14, 8.0, 1e-2, "")) == "yellow"
