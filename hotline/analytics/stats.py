"""The count statistics behind the warnings: spikes, growth and concentration.

Counts of demands are counts of independent events, so the tests are exact count tests
rather than "more than N" or "three standard deviations" thresholds, which mean different
things at 3 and at 300 a day:

- Spike: today's count against the same weekday of the previous WEEKS weeks (weekday and
  weekend differ by a factor of two or three on a hotline). If the baseline weeks vary no
  more than Poisson counts would, the test is the conditional binomial test of two Poisson
  rates — given today's x and the baseline total S over N weeks, x ~ Binomial(x + S,
  1 / (N + 1)) under "same rate" — which is exact and accounts for the baseline being an
  estimate. If they vary more (overdispersion), a negative binomial with the baseline's mean
  and variance is used instead, so a noisy series needs a bigger jump.
- Growth (emerging topic): the recent window's count against the prior window's, the same
  conditional binomial with the windows' lengths.
- Concentration: a region's count of a category in the recent window against its usual share
  of that category (one-sided binomial, the usual share smoothed by one demand).

Many cells are tested at once (every category × region), so a cell is flagged only when it
passes Benjamini–Hochberg at false discovery rate Q, has at least MIN_COUNT demands and at
least MIN_RATIO times what was expected: a significant but tiny rise is not worth a warning.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

WEEKS = 8
Q = 0.01
MIN_COUNT = 5
MIN_RATIO = 1.5


@dataclass
class Test:
    count: int
    expected: float
    p_value: float
    method: str

    @property
    def ratio(self) -> float:
        return self.count / self.expected if self.expected > 0 else float("inf")

    @property
    def score(self) -> float:
        """−log10 p, capped: the number shown and used for the level."""
        return round(float(min(-np.log10(max(self.p_value, 1e-300)), 300.0)), 2)


def spike(count: int, baseline: list[int]) -> Test:
    """Today's `count` against the same weekday's counts of the previous weeks."""
    n = len(baseline)
    total = int(sum(baseline))
    mean = total / n if n else 0.0
    var = float(np.var(baseline, ddof=1)) if n > 1 else mean
    if n >= 4 and var > mean * 1.2 and mean > 0:
        r = mean * mean / (var - mean)
        p = float(stats.nbinom.sf(count - 1, r, r / (r + mean)))
        return Test(count, mean, p, "negative binomial")
    p = float(stats.binom.sf(count - 1, count + total, 1 / (n + 1))) if n else 1.0
    return Test(count, mean, p, "conditional binomial (Poisson rates)")


def growth(recent: int, prior: int, recent_days: float, prior_days: float) -> Test:
    """Is the recent window's rate above the prior window's?"""
    share = recent_days / (recent_days + prior_days)
    p = float(stats.binom.sf(recent - 1, recent + prior, share))
    return Test(recent, prior * recent_days / prior_days, p, "conditional binomial (Poisson rates)")


def concentration(count: int, total: int, usual: int, usual_total: int, cells: int) -> Test:
    """`count` of `total` demands of a category in one region, against its usual share."""
    share = (usual + 1) / (usual_total + cells)
    p = float(stats.binom.sf(count - 1, total, share))
    return Test(count, total * share, p, "binomial")


def flagged(tests: list[Test], *, q: float = Q, min_count: int = MIN_COUNT,
            min_ratio: float = MIN_RATIO) -> list[bool]:  # fmt: skip
    """Benjamini–Hochberg over all `tests`, then the minimum count and ratio."""
    m = len(tests)
    if not m:
        return []
    p = np.array([t.p_value for t in tests])
    order = np.argsort(p)
    passed = p[order] <= q * np.arange(1, m + 1) / m
    cutoff = np.flatnonzero(passed).max() + 1 if passed.any() else 0
    significant = np.zeros(m, dtype=bool)
    significant[order[:cutoff]] = True
    return [bool(s) and t.count >= min_count and t.ratio >= min_ratio
            for s, t in zip(significant, tests, strict=True)]  # fmt: skip


def level(test: Test) -> str:
    """red ≥ 6 (p < 1e-6) or three times the expected; orange ≥ 3; yellow below."""
    if test.score >= 6 or test.ratio >= 3:
        return "red"
    return "orange" if test.score >= 3 else "yellow"
