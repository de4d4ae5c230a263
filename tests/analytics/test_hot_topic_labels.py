"""The shipped hot-topic ranking against a reader's labels of the real votes data.

The labels (tests/data/labels/hot_topics.csv, guide: docs/labelling-hot-topics.md) name the
hottest problems of messages_with_votes.csv and their member ids; the floors below are the
figures recorded in docs/benchmarks.md (bench/bench_hot_topic_labels.py). The data is not in
the repository: without it the test is skipped, except under CI, where it must be there.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from hotline.analytics import sources, topic_eval, topics

LABELS = Path(__file__).resolve().parent.parent / "data" / "labels" / "hot_topics.csv"
VOTES = Path(settings.DATA_DIR) / "messages_with_votes.csv"

needs_data = pytest.mark.skipif(
    not VOTES.exists() and os.environ.get("CI") != "true",
    reason="the real data (HOTLINE_DATA_DIR) is not on this machine",
)


@pytest.fixture(scope="module")
def evaluation():
    demands = sources.load_csv(VOTES)
    ranked, _ = topics.group_topics(demands)
    return topic_eval.evaluate(ranked, topic_eval.load_labels(LABELS))


@needs_data
def test_the_labels_are_ids_of_the_file_each_in_one_problem():
    problems = topic_eval.load_labels(LABELS)
    ids = {d.key for d in sources.load_csv(VOTES)}
    members = [m for p in problems.values() for m in p.members]
    assert len(members) == len(set(members))  # no message in two problems
    assert set(members) <= ids
    assert sorted(p.rank for p in problems.values()) == list(range(1, len(problems) + 1))


@needs_data
def test_the_ranking_reaches_the_recorded_precision(evaluation):
    assert evaluation.precision_at(5) >= 0.8
    assert evaluation.precision_at(10) >= 0.8
    assert evaluation.found_of_top(5, 10) >= 4
    # A mixed topic in the first ten would show two problems under one title.
    assert not any(t.mixed for t in evaluation.topics[:10])


@needs_data
def test_each_problem_is_gathered_as_recorded(evaluation):
    assert evaluation.mean("precision") >= 0.88
    assert evaluation.mean("recall") >= 0.74
    by_id = {p.pid: p for p in evaluation.problems}
    # The two largest problems are each one topic, whole enough to read as one.
    assert by_id["P01"].recall >= 0.85 and by_id["P01"].precision == 1.0
    assert by_id["P02"].recall >= 0.65 and by_id["P02"].precision == 1.0


def test_a_mixed_topic_is_an_error_and_a_repeat_is_no_second_hit():
    problems = {
        "P1": topic_eval.Problem("P1", 1, "a", {"1", "2", "3", "4"}),
        "P2": topic_eval.Problem("P2", 2, "b", {"5", "6", "7"}),
    }

    class T:
        def __init__(self, *keys):
            self.keys, self.size, self.title = list(keys), len(keys), ""

    ev = topic_eval.evaluate(
        [T("1", "2", "3", "5", "6"), T("1", "4"), T("4", "9"), T("7", "8", "9")], problems
    )

    assert [(t.problem, t.mixed, t.hit) for t in ev.topics] == [
        ("P1", True, False),  # majority P1, but two of P2 under the same title
        ("P1", False, True),
        (None, False, False),  # half is not a majority
        (None, False, False),
    ]
    assert ev.precision_at(2) == 0.5
    p1, p2 = ev.problems
    assert (p1.found, p1.topic_rank, p1.recall, p1.precision) == (3, 1, 0.75, 0.6)
    assert (p2.found, p2.topic_rank) == (2, 1)
