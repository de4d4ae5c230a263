"""Erlang C against values published in the literature and exact small cases."""

import math

import pytest

from hotline.incidents import erlang


@pytest.mark.parametrize(
    ("n", "a", "expected"),
    [
        pytest.param(2, 1.0, 1 / 3, id="M/M/2 at one Erlang: exactly 1/3"),
        pytest.param(3, 2.0, 4 / 9, id="M/M/3 at two Erlangs: exactly 4/9"),
        # A textbook case: 120 customers an hour, 3 minutes each, 10 servers: "about 0.10".
        pytest.param(10, 6.0, 0.1013, id="10 servers, 6 Erlangs"),
        # The worked example of callcentrehelper.com's "Erlang C formula made simple":
        # 100 calls in 30 minutes, 180 s each = 10 Erlangs; with 11 agents Pw = 0.6821.
        pytest.param(11, 10.0, 0.6821, id="11 agents, 10 Erlangs"),
    ],
)
def test_probability_of_waiting(n, a, expected):
    assert erlang.erlang_c(n, a) == pytest.approx(expected, abs=5e-5)


def test_the_worked_example_needs_fourteen_agents_for_eighty_in_twenty():
    # Same example: 13 agents answer 79.6 % within 20 s (just short), 14 agents 88.8 %
    # with an ASA of 7.8 s; with 30 % shrinkage 20 agents must be rostered.
    assert erlang.service_level(13, 10.0, 180, 20) == pytest.approx(0.7956, abs=5e-4)
    plan = erlang.agents_needed(
        calls=100, aht_seconds=180, target_level=0.8, target_seconds=20, shrinkage=0.3
    )
    assert plan.agents == 14
    assert plan.scheduled == 20
    assert plan.service_level == pytest.approx(0.888, abs=5e-4)
    assert plan.asa_seconds == pytest.approx(7.8, abs=0.05)
    assert plan.occupancy == pytest.approx(10 / 14)


def test_erlang_c_is_erlang_b_with_a_queue():
    # C = B / (1 − ρ(1 − B)): checked against the direct sum for a mid-size center.
    n, a = 30, 25.0
    terms = [a**k / math.factorial(k) for k in range(n)]
    top = a**n / math.factorial(n) * n / (n - a)
    assert erlang.erlang_c(n, a) == pytest.approx(top / (sum(terms) + top), rel=1e-12)


def test_large_centers_do_not_overflow():
    plan = erlang.agents_needed(calls=4000, aht_seconds=240, target_seconds=15)
    assert 533 < plan.agents < 600
    assert plan.service_level >= 0.8


def test_too_few_agents_means_everyone_waits():
    assert erlang.erlang_c(5, 5.0) == 1.0
    assert erlang.service_level(5, 6.0, 180, 15) == 0.0
    assert erlang.asa(5, 6.0, 180) == math.inf


def test_occupancy_cap_adds_agents():
    free = erlang.agents_needed(calls=900, aht_seconds=200, max_occupancy=1.0)
    capped = erlang.agents_needed(calls=900, aht_seconds=200, max_occupancy=0.85)
    assert capped.agents == max(free.agents, math.ceil(100 / 0.85))
    assert capped.occupancy <= 0.85


def test_no_calls_needs_no_agents():
    assert erlang.agents_needed(calls=0, aht_seconds=200).agents == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"target_level": 1.0}, "target_level", id="level 100 %"),
        pytest.param({"max_occupancy": 0.0}, "max_occupancy", id="occupancy 0"),
        pytest.param({"shrinkage": 1.0}, "shrinkage", id="all time off"),
    ],
)
def test_impossible_targets_are_refused(kwargs, field):
    with pytest.raises(ValueError, match=field):
        erlang.agents_needed(calls=10, aht_seconds=200, **kwargs)
