"""Reply review on the frozen test split of the hand-labelled real replies (500, never tuned on).

Floors: precision is the issue's goal (0.85, reached: 0.935 on 2026-12-06); recall is today's
honest figure (0.713) until the 0.90 goal is reached. docs/benchmarks.md keeps the figures, and
the shipped scorer's own metrics file (models_store/reply-v1.json) must state what it scores.
The same split read a second time and adjudicated (docs/labelling-replies.md §7) has its own
floors: today's figures against those labels (precision 0.922, recall 0.550, 2026-12-07).
"""

import csv
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from hotline.screening import reply_store
from hotline.screening.lexicon import default_terms
from hotline.screening.matcher import Matcher
from hotline.screening.reply_model import assess, load

LABELS = Path(__file__).resolve().parents[1] / "data" / "labels" / "replies.csv"
SECOND = LABELS.with_name("replies_second.csv")
ADJUDICATED = LABELS.with_name("replies_adjudicated.csv")
GUIDE7 = Path(__file__).resolve().parents[2] / "docs" / "data" / "reply_labels_guide7.csv"
CATEGORIES = {"none", "perfunctory", "irrelevant", "buck_passing", "missing_points", "error",
              "privacy", "tone", "defective"}  # fmt: skip


def _labels(path=LABELS):
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _frozen_counts(labels) -> tuple[int, int, int]:
    """(tp, fp, fn) of the shipped review on the `test` rows of `labels`."""
    with (Path(settings.DATA_DIR) / "replies.csv").open(encoding="utf-8") as f:
        replies = {r["id"]: r for r in csv.DictReader(f)}
    matcher = Matcher(default_terms())
    tp = fp = fn = 0
    for label in labels:
        if label["split"] != "test":
            continue
        r = replies[label["id"]]
        body = re.sub(r"\*{10,}", "某", r["reply"])  # the data set's anonymisation
        flagged = assess(body, title=r["title"], content=r["content"], matcher=matcher).verdict
        pred, gold = flagged != "pass", label["verdict"] == "send_back"
        tp, fp, fn = tp + (pred and gold), fp + (pred and not gold), fn + (gold and not pred)
    return tp, fp, fn


needs_data = pytest.mark.skipif(
    not (Path(settings.DATA_DIR) / "replies.csv").exists(),
    reason="the real data (HOTLINE_DATA_DIR) is not on this machine",
)


def test_labels_are_well_formed_and_split_before_tuning():
    rows = _labels()

    assert len(rows) == 1000
    assert len({r["id"] for r in rows}) == 1000
    assert sum(r["split"] == "test" for r in rows) == 500
    assert {r["category"] for r in rows} <= CATEGORIES
    assert all((r["verdict"] == "ok") == (r["category"] == "none") for r in rows)
    assert all(r["reason"].strip() for r in rows)


@needs_data
def test_shipped_review_on_the_frozen_test_split(settings, tmp_path):
    settings.REPLY_MODEL_DIR = str(tmp_path)  # no deployed retrain: the scorer in the package
    reply_store.reset()
    tp, fp, fn = _frozen_counts(_labels())

    assert load() is not None
    assert tp + fn == 101
    assert tp / (tp + fp) >= 0.85
    assert tp / (tp + fn) >= 0.712  # 72 of 101, 0.713 rounded
    recorded = json.loads(reply_store.SHIPPED.with_suffix(".json").read_text(encoding="utf-8"))
    assert recorded["threshold"] == load().threshold
    assert {k: recorded["frozen_test"][k] for k in ("tp", "fp", "fn")} == {
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }
    reply_store.reset()


def test_second_reading_and_adjudication_cover_the_same_split():
    first = {r["id"]: r for r in _labels()}
    second = {r["id"]: r for r in _labels(SECOND)}
    final = {r["id"]: r for r in _labels(ADJUDICATED)}

    assert set(first) == set(second) == set(final)
    for rows in (second, final):
        assert all(r["split"] == first[i]["split"] for i, r in rows.items())
        assert {r["category"] for r in rows.values()} <= CATEGORIES
        assert all((r["verdict"] == "ok") == (r["category"] == "none") for r in rows.values())
        assert all(r["reason"].strip() for r in rows.values())
    assert {r["unsure"] for r in second.values()} <= {"0", "1"}
    for i, r in final.items():
        # Where the two readings agree the first stands; only disagreements were adjudicated.
        agreed = first[i]["verdict"] == second[i]["verdict"]
        assert r["source"] == ("agreed" if agreed else "adjudicated")
        if agreed:
            assert (r["verdict"], r["category"]) == (first[i]["verdict"], first[i]["category"])


def test_training_labels_by_the_whole_guide_stay_outside_the_split():
    split = {r["id"] for r in _labels()}
    rows = _labels(GUIDE7)

    assert len(rows) == len({r["id"] for r in rows}) == 1768
    assert not {r["id"] for r in rows} & split
    assert {r["category"] for r in rows} <= CATEGORIES
    assert all((r["verdict"] == "ok") == (r["category"] == "none") for r in rows)
    assert all(r["reason"].strip() for r in rows)
    # Read once (the rest of the pool) or read again and agreed/adjudicated (the older labels).
    assert {(r["origin"], r["source"]) for r in rows} == {
        ("pool-new", "single"),
        ("reread", "agreed"),
        ("reread", "adjudicated"),
    }


@needs_data
def test_shipped_review_on_the_adjudicated_frozen_split(settings, tmp_path):
    settings.REPLY_MODEL_DIR = str(tmp_path)
    reply_store.reset()
    tp, fp, fn = _frozen_counts(_labels(ADJUDICATED))

    assert tp + fn == 129
    assert tp / (tp + fp) >= 0.92  # 71 of 77, 0.922
    assert tp / (tp + fn) >= 0.550  # 71 of 129, 0.5504
    recorded = json.loads(reply_store.SHIPPED.with_suffix(".json").read_text(encoding="utf-8"))
    assert {k: recorded["frozen_test_adjudicated"][k] for k in ("tp", "fp", "fn")} == {
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }
    reply_store.reset()


def test_a_flag_names_its_rule_and_sentence_and_scores_the_reply():
    review = assess(
        "网友您好！您反映的问题已转交相关部门调查处理。感谢您的留言。",
        title="小区电梯坏了两周无人维修",
        content="电梯坏了两周，物业不修，老人上下楼困难，请问什么时候能修好？",
    )

    assert review.verdict == "warn"
    flag = review.reasons[-1]
    assert flag.code == "transfer_only"
    assert flag.sentence == "您反映的问题已转交相关部门调查处理。"
    assert set(review.scores) == {"relevance", "completeness", "explainability"}
    assert review.scores["explainability"] == 0


def test_a_finished_result_with_basis_time_and_next_step_scores_high():
    review = assess(
        "经核实，根据《物业管理条例》，物业公司已于5月3日更换电梯主板，电梯已恢复运行。"
        "如有疑问，请拨打区住建局电话。",
        title="小区电梯坏了两周无人维修",
        content="电梯坏了两周，物业不修，请问什么时候能修好？",
    )

    assert review.verdict == "pass"
    assert review.scores["explainability"] == 100
    assert review.scores["completeness"] == 100


def test_a_claimed_result_overruling_a_high_probability_says_so():
    """The "done" guard keeps a short reply that states a result from going back, whatever the
    scorer's probability; the reviewer is told why the verdict and the probability disagree."""
    review = assess(
        "您好。已安排维修班组更换路灯，今晚恢复照明。",
        title="小区路灯坏了一个月",
        content="小区路灯坏了一个月，晚上出行不安全，请尽快维修。",
    )

    assert review.probability >= load().threshold
    assert review.verdict == "pass"
    [hint] = review.reasons
    assert (hint.code, hint.severity) == ("done_claimed", "hint")
    assert "请回访时核实" in hint.message_zh
    assert hint.sentence == "已安排维修班组更换路灯,今晚恢复照明。"  # normalised, as every reason


def test_a_claimed_result_under_the_threshold_adds_nothing():
    review = assess(
        "经核实，根据《物业管理条例》，物业公司已于5月3日更换电梯主板，电梯已恢复运行。",
        title="小区电梯坏了两周无人维修",
        content="电梯坏了两周，物业不修，请问什么时候能修好？",
    )

    assert review.probability < load().threshold
    assert review.reasons == []


def test_a_result_about_something_else_is_no_answer():
    """Issue 17's example: a demand for more public housing answered with a property company's
    repairs. The claimed result must not let it through: the reviewer sees 答非所问."""
    review = assess(
        "经现场核查，已责令物业公司三日内完成整改，并将跟踪落实情况。",
        title="建议增加保障性住房供应",
        content="鼓楼区新就业大学生租房压力大，建议增加保障性租赁住房供应，简化申请流程。",
    )

    assert review.verdict == "warn"
    assert [r.code for r in review.reasons if r.severity == "warn"][0] == "irrelevant"
    assert all(r.code != "done_claimed" for r in review.reasons)
