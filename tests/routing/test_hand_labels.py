"""The hand labels of unlabelled messages (docs/data/routing_labels.csv, issue 17 part 2).

They were read by docs/labelling-routing.md and may only ever join a model's training part:
no row may carry the text of a labelled message (the frozen split's, or a training message
that cross-validation holds out), and 其他 marks demands outside the seven classes.
"""

import csv
import os
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from hotline.routing import frozen
from hotline.text import compact, normalize

LABELS = Path(__file__).resolve().parents[2] / "docs" / "data" / "routing_labels.csv"
GUIDE = LABELS.parents[1] / "labelling-routing.md"
DATA = Path(os.environ.get("HOTLINE_DATA_DIR", django_settings.DATA_DIR))
SEVEN = {"城乡建设", "劳动和社会保障", "教育文体", "商贸旅游", "卫生计生", "环境保护", "交通运输"}


def read_labels() -> list[dict]:
    with open(LABELS, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_label_file_is_well_formed():
    rows = read_labels()
    assert len(rows) >= 500
    assert len({r["id"] for r in rows}) == len(rows), "an id is labelled twice"
    assert {r["label"] for r in rows} <= SEVEN | {"其他"}
    assert all(r["batch"].startswith("b") for r in rows)
    counts = Counter(r["label"] for r in rows)
    assert all(counts[label] >= 20 for label in SEVEN), counts
    guide = GUIDE.read_text(encoding="utf-8")
    assert all(f"### {label}" in guide for label in SEVEN) and "`其他`" in guide


@pytest.mark.skipif(
    not (DATA / "messages_unlabeled.csv").exists(),
    reason="the real data (HOTLINE_DATA_DIR) is not on this machine",
)
def test_labelled_rows_are_pool_messages_that_no_evaluation_can_see():
    with open(DATA / "messages_unlabeled.csv", encoding="utf-8", newline="") as f:
        pool = {r["id"]: r for r in csv.DictReader(f)}
    with open(DATA / "messages_labeled.csv", encoding="utf-8", newline="") as f:
        seen = list(csv.DictReader(f))
    texts = {frozen.text_key(r["content"]) for r in seen}
    rows = read_labels()
    assert {r["id"] for r in rows} <= set(pool)
    for r in rows:
        content = pool[r["id"]]["content"]
        assert frozen.text_key(content) not in texts, r["id"]
        assert not frozen.text_is_frozen(content, DATA), r["id"]
    # A same-titled near copy of a labelled message is labelled at most rarely; the
    # cross-validation drops such rows (scripts/routing_cv.py), so count them here.
    heads = {compact(normalize(r["title"])) for r in seen}
    near = [r["id"] for r in rows if compact(normalize(pool[r["id"]]["title"])) in heads]
    assert len(near) <= 10, near


READER = LABELS.parent / "routing_reader.csv"


@pytest.mark.skipif(
    not (DATA / "messages_labeled.csv").exists(),
    reason="the real data (HOTLINE_DATA_DIR) is not on this machine",
)
def test_blind_reading_covers_every_labelled_message_once():
    """docs/data/routing_reader.csv: the data set's 1,020 labelled messages read blind by the
    guide, forced to one of the seven, with the reader's certainty; bench_routing.py scores it
    on the frozen split beside the model (what a person reaches against the same labels)."""
    with open(READER, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(DATA / "messages_labeled.csv", encoding="utf-8", newline="") as f:
        labelled = {r["id"] for r in csv.DictReader(f)}
    assert [r["id"] for r in rows] == sorted({r["id"] for r in rows}, key=int)
    assert {r["id"] for r in rows} == labelled
    assert {r["label"] for r in rows} == SEVEN
    assert {r["sure"] for r in rows} == {"是", "否"}
