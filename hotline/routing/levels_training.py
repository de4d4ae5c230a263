"""Training rows of the level model (levelmodel.py): distant supervision plus a hand sample.

Distant rows: every demand whose first level is known — the data set's labelled messages, the
hand-labelled pool (docs/data/routing_labels.csv, 其他 left out) and pool messages the current
first-level classifier is sure of — labelled at levels 2 and 3 by taxonomy's name rule where it
speaks. Hand rows: the tuning sample (docs/data/level_labels_tune.csv) and the rest of the 765
training messages (docs/data/level_labels_more.csv), read by docs/labelling-levels.md. Text of
a frozen test message never trains, nor does a pool text equal to a labelled message's (it
could be a held-out tuning message under another id).
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from . import frozen, taxonomy
from .textprep import title_content

POOL_FILES = ("messages_unlabeled.csv", "messages_with_votes.csv")
MIN_CONFIDENCE = 0.8
HAND_WEIGHT = 5.0


@dataclass
class Rows:
    docs: list[tuple[str, str]] = field(default_factory=list)
    level2: list[str] = field(default_factory=list)
    level3: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    def add(self, doc, level2, level3, weight=1.0):
        self.docs.append(doc)
        self.level2.append(level2 or "")
        self.level3.append(level3 or "")
        self.weights.append(weight)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def known_level1(data_dir: Path, hand_labels: Path, classifier, exclude_ids: set[str]):
    """(title, content, level-1 code) of every demand whose first level is known."""
    codes = taxonomy.level1_codes()
    labelled = read_csv(data_dir / "messages_labeled.csv")
    seen = {frozen.text_key(r["content"]) for r in labelled}
    # The data set repeats some texts under other ids: an excluded message's text is excluded.
    excluded = {frozen.text_key(r["content"]) for r in labelled if r["id"] in exclude_ids}
    out = [
        (r["title"], r["content"], codes[r["label"]])
        for r in labelled
        if frozen.text_key(r["content"]) not in excluded and not frozen.text_is_frozen(r["content"])
    ]
    hand = {r["id"]: r["label"] for r in read_csv(hand_labels) if r["label"] in codes}
    pool = []
    for name in POOL_FILES:
        for r in read_csv(data_dir / name):
            if frozen.text_key(r["content"]) in seen or frozen.text_is_frozen(r["content"]):
                continue
            if r["id"] in hand:
                out.append((r["title"], r["content"], codes[hand[r["id"]]]))
            else:
                pool.append((r["title"], r["content"]))
    for (title, content), p in zip(pool, classifier.predict_many(pool, reasons=0), strict=True):
        if p.label in codes and p.confidence >= MIN_CONFIDENCE:
            out.append((title, content, codes[p.label]))
    return out


def distant_rows(known) -> Rows:
    rows = Rows()
    for title, content, level1 in known:
        doc = title_content(title, content)
        level2, level3 = taxonomy.rule_deeper(level1, *doc)
        if level2:
            rows.add(doc, level2, level3)
    return rows


def hand_rows(data_dir: Path, labels: list[dict], weight: float = HAND_WEIGHT) -> Rows:
    messages = {r["id"]: r for r in read_csv(data_dir / "messages_labeled.csv")}
    rows = Rows()
    for r in labels:
        if r["level2"]:
            m = messages[r["id"]]
            rows.add(title_content(m["title"], m["content"]), r["level2"], r["level3"], weight)
    return rows


def joined(*parts: Rows) -> Rows:
    out = Rows()
    for p in parts:
        for i in range(len(p.docs)):
            out.add(p.docs[i], p.level2[i], p.level3[i], p.weights[i])
    return out
