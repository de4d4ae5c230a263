"""The reply labels kept in the repository, and the lexicon admin."""

import csv
import re
from pathlib import Path

import pytest
from django.conf import settings

from hotline.screening.models import LexiconTerm, LexiconVersion

LABELS = Path(__file__).resolve().parents[2] / "docs" / "data" / "reply_labels.csv"
FROZEN = Path(__file__).resolve().parents[1] / "data" / "labels" / "replies.csv"
CATEGORIES = {"none", "perfunctory", "irrelevant", "buck_passing", "missing_points", "error",
              "privacy", "tone", "defective"}  # fmt: skip


def test_reply_labels_are_well_formed():
    with LABELS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    assert len(rows) >= 200
    assert {r["label"] for r in rows} == {"ok", "send_back"}
    samples = {r["sample"] for r in rows}
    assert {"random", "short", "holdout"} <= samples
    assert all(s in {"random", "short", "holdout"} or re.fullmatch(r"pool-\d+", s) for s in samples)
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["reason"].strip() for r in rows)
    # the pool batches (docs/labelling-replies.md §5) name the guide's category, the first ones none
    pool = [r for r in rows if r["sample"].startswith("pool-")]
    assert all(r["category"] in CATEGORIES for r in pool)
    assert all((r["label"] == "ok") == (r["category"] == "none") for r in pool)
    assert all(not r["category"] for r in rows if not r["sample"].startswith("pool-"))


def test_no_pool_label_is_in_the_frozen_test_split():
    """The early samples predate the split (57 of their ids are test ids, which training skips);
    the pool batches are drawn outside it and must stay so."""
    with LABELS.open(encoding="utf-8") as f:
        pool = {r["id"] for r in csv.DictReader(f) if r["sample"].startswith("pool-")}
    with FROZEN.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    test = {r["id"] for r in rows if r["split"] == "test"}

    assert len(test) == 500
    assert pool and not pool & test
    assert not pool & {r["id"] for r in rows}  # nor a tune id labelled twice


@pytest.mark.skipif(
    not (Path(settings.DATA_DIR) / "replies.csv").exists(),
    reason="the real data (HOTLINE_DATA_DIR) is not on this machine",
)
def test_no_pool_reply_repeats_a_frozen_reply_text():
    from hotline.screening import reply_training

    rows = reply_training.replies()
    with LABELS.open(encoding="utf-8") as f:
        pool = [r["id"] for r in csv.DictReader(f) if r["sample"].startswith("pool-")]

    assert not [i for i in pool if reply_training.is_frozen(rows[i]["reply"])]


def test_admin_edit_is_a_new_version_that_screening_uses(client, province):
    from hotline.screening import services

    client.force_login(province.users["admin"])
    r = client.post(
        "/admin/screening/lexiconterm/add/",
        {"term": "讨个说法", "category": "collective", "level": "orange", "is_active": "on",
         "note": ""},
    )  # fmt: skip

    assert r.status_code == 302, r.content.decode()[:500]
    assert LexiconTerm.objects.filter(term="讨个说法").exists()
    assert LexiconVersion.objects.order_by("-number").first().summary == "管理后台新增：讨个说法"
    assert services.screen_demand("", "我们要去讨个说法").level == "orange"


SECOND = LABELS.parent / "reply_labels_second.csv"


def _agreement_module():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "reply_agreement.py"
    spec = importlib.util.spec_from_file_location("reply_agreement", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_second_reading_covers_training_rows_only_and_is_well_formed():
    with SECOND.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with FROZEN.open(encoding="utf-8") as f:
        test_ids = {r["id"] for r in csv.DictReader(f) if r["split"] == "test"}
    agreement = _agreement_module()
    first = agreement.first_verdicts()
    assert len(rows) == 200 and len({r["id"] for r in rows}) == 200
    assert not {r["id"] for r in rows} & test_ids
    assert {r["id"] for r in rows} <= set(first)
    assert {r["verdict"] for r in rows} == {"ok", "send_back"}
    assert {r["unsure"] for r in rows} == {"0", "1"}
    for r in rows:
        assert r["category"] in CATEGORIES and r["reason"].strip(), r
        assert (r["category"] == "none") == (r["verdict"] == "ok"), r


def test_agreement_counts_the_second_reader_against_the_first():
    agreement = _agreement_module()
    # first: send, send, ok, ok; second: send, ok, send, ok → P 1/2, R 1/2, observed 1/2, kappa 0
    a = agreement.agreement([(True, True), (True, False), (False, True), (False, False)])
    assert (a["first"], a["second"]) == (2, 2)
    assert a["precision"] == a["recall"] == a["f1"] == 0.5
    assert a["kappa"] == 0.0
