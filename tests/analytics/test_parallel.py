"""The pair tiles computed by forked workers give exactly what one process gives."""

import os
import random
from datetime import datetime, timedelta

import numpy as np
import pytest

from hotline.analytics import grouping, parallel
from hotline.analytics.topics import Demand, _vectors

from .constructed import PROBLEMS, SINGLES

ESTATES = ["丽发新城", "金色家园", "魅力之城", "星沙花园", "怡园", "阳光花园", "锦绣江南"]


def many_demands(n: int, seed: int = 11) -> list[Demand]:
    """Paraphrased problems at numbered estates, with unrelated questions between them."""
    rng = random.Random(seed)
    t0 = datetime(2026, 10, 1, 8)
    out = []
    for k in range(n):
        if rng.random() < 0.2:
            title, content = rng.choice(SINGLES)
        else:
            title, content = rng.choice(rng.choice(list(PROBLEMS.values())))
            place = f"{rng.choice(ESTATES)}{rng.randrange(40)}期小区"
            title, content = title.format(p=place), content.format(p=place)
        out.append(Demand(key=f"d{k}", title=title, text=f"{title} {content}",
                          citizen=f"138{rng.randrange(10**8):08d}", region="", place="",
                          at=t0 + timedelta(minutes=k)))  # fmt: skip
    return out


@pytest.fixture
def vectors(monkeypatch):
    # Small tiles: a few thousand demands make many tiles, as a month does with TILE rows.
    monkeypatch.setattr(grouping, "TILE", 400)
    v, _ = _vectors(many_demands(3000))
    return v


def test_parallel_pairs_equal_sequential(vectors):
    members = np.arange(vectors.size)
    one = grouping.pairs(vectors, members, grouping.PROBLEM_MIN, workers=1)
    two = grouping.pairs(vectors, members, grouping.PROBLEM_MIN, workers=2)

    assert len(one[0]) > 1000  # the demands do pair: the comparison is not of two nothings
    for a, b in zip(one, two, strict=True):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)


def test_parallel_groups_equal_sequential(vectors, monkeypatch):
    sequential = grouping.group(vectors)
    calls = []
    real_run = parallel.run
    monkeypatch.setattr(grouping, "PARALLEL_MIN", 100)
    monkeypatch.setattr(parallel, "run", lambda fn, tasks, workers: calls.append(workers)
                        or real_run(fn, tasks, workers))  # fmt: skip

    forked = grouping.group(vectors)

    # The threshold did send the demands to the workers (two, or one on a one-CPU machine).
    assert calls and calls[0] == min(2, os.cpu_count() or 1)
    assert len(np.unique(sequential)) < vectors.size - 500  # groups were found
    assert np.array_equal(sequential, forked)


def test_small_calls_stay_in_process(vectors, monkeypatch):
    calls = []
    real_run = parallel.run
    monkeypatch.setattr(parallel, "run", lambda fn, tasks, workers: calls.append(workers)
                        or real_run(fn, tasks, workers))  # fmt: skip

    grouping.pairs(vectors, np.arange(vectors.size))

    assert calls == [1]


def test_worker_error_reaches_the_caller():
    def fail(task):
        raise ValueError(f"bad tile {task}")

    with pytest.raises(ValueError, match="bad tile"):
        parallel.run(fail, [1, 2, 3], 2)


def test_parallel_text_preparation_equals_sequential(monkeypatch):
    demands = many_demands(1500, seed=5)
    one, regions_one = _vectors(demands)
    monkeypatch.setattr(grouping, "PARALLEL_MIN", 100)
    calls = []
    real_run = parallel.run
    monkeypatch.setattr(parallel, "run", lambda fn, tasks, workers: calls.append(workers)
                        or real_run(fn, tasks, workers))  # fmt: skip

    two, regions_two = _vectors(demands)

    assert calls == [min(2, os.cpu_count() or 1)]
    assert regions_one == regions_two
    for name in ("problem", "place"):
        a, b = getattr(one, name), getattr(two, name)
        assert a.shape == b.shape and (a != b).nnz == 0
    assert np.array_equal(one.city, two.city) and np.array_equal(one.county, two.county)
