"""Levels 2 and 3 measured against a hand-labelled sample of the frozen test split.

The labels (`docs/data/level_labels.csv`: id, level2, level3, note) were made by reading each
message by `docs/labelling-levels.md`, without looking at the product's output; an empty code
means "none fits". They are a test sample: taxonomy.py is never tuned on them.

Per level: coverage (how often the product names a node), precision (right among those it
names), accuracy (right among all, null counting as wrong) and accuracy on the messages whose
gold code is not empty.
"""

import csv
from pathlib import Path

import numpy as np
from django.conf import settings

from hotline.routing import frozen, services, taxonomy
from hotline.routing.defaults import default_rows
from hotline.routing.levels_training import read_csv as read_labels

LEVELS = ("level2", "level3")


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def figures(gold: list[tuple[str, str]], predicted: list[tuple[str | None, str | None]]) -> dict:
    """The four figures (and their counts) per level; "" or None is "no node"."""
    out = {}
    for i, level in enumerate(LEVELS):
        named = [k for k, p in enumerate(predicted) if p[i]]
        right = [k for k in named if predicted[k][i] == gold[k][i]]
        with_gold = sum(1 for g in gold if g[i])
        out[level] = {
            "n": len(gold),
            "named": len(named),
            "correct": len(right),
            "gold": with_gold,
            "coverage": _ratio(len(named), len(gold)),
            "precision": _ratio(len(right), len(named)),
            "accuracy": _ratio(len(right), len(gold)),
            "accuracy_on_gold": _ratio(len(right), with_gold),
        }
    return out


def evaluate(labels_path: Path, data_dir: Path | None = None) -> dict:
    """The current model plus taxonomy.py on the labelled frozen messages.

    Returns the figures, the predictions by id, and how many of the messages the model put
    under another first level than the dataset's (their levels 2 and 3 cannot be right).
    """
    labels = read_labels(labels_path)
    ids = {r["id"] for r in labels}
    if not ids <= frozen.frozen_ids():
        raise ValueError(f"labels outside the frozen split: {sorted(ids - frozen.frozen_ids())}")
    path = Path(data_dir or settings.DATA_DIR) / "messages_labeled.csv"
    with open(path, encoding="utf-8", newline="") as f:
        messages = {r["id"]: r for r in csv.DictReader(f) if r["id"] in ids}
    rows = [messages[r["id"]] for r in labels]
    _, predictions = services.classify_many([(m["title"], m["content"]) for m in rows])
    codes = [
        services.category_codes(p, m["title"], m["content"])
        for p, m in zip(predictions, rows, strict=True)
    ]
    level1_wrong = sum(1 for p, m in zip(predictions, rows, strict=True) if p.label != m["label"])
    gold = [(r["level2"], r["level3"]) for r in labels]
    predicted = [(c[1], c[2]) for c in codes]
    level1 = taxonomy.level1_codes()
    gold_paths = [[level1[m["label"]], *g] for m, g in zip(rows, gold, strict=True)]
    return {
        "figures": figures(gold, predicted),
        "function": function_agreement(gold_paths, codes),
        "intervals": intervals(gold, predicted),
        "predicted": {r["id"]: c for r, c in zip(labels, codes, strict=True)},
        "level1_wrong": level1_wrong,
        "below_gate": sum(1 for p in predictions if p.confidence < taxonomy.MIN_LEVEL1_CONFIDENCE),
    }


def function_agreement(gold_paths: list[list[str]], predicted_paths: list[list]) -> dict:
    """How often the unit function the predicted codes map to (the default category → function
    mapping, routing/defaults.py) is the one the data set's level 1 and the hand-labelled levels
    map to: what levels 2 and 3 change for dispatch, first-level errors included."""
    mapping = {code: function for code, _full, function in default_rows()}

    def function(codes):
        return next((mapping[c] for c in reversed([c for c in codes if c]) if c in mapping), None)

    same = sum(
        1 for g, p in zip(gold_paths, predicted_paths, strict=True) if function(g) == function(p)
    )
    return {"n": len(gold_paths), "same": same, "agreement": _ratio(same, len(gold_paths))}


def intervals(gold: list[tuple[str, str]], predicted: list[tuple[str | None, str | None]]) -> dict:
    """Percentile bootstrap 95 % intervals of the four figures (messages resampled, frozen.py's
    resample count and seed): a sample of about a hundred moves them by several points."""
    rng = np.random.default_rng(frozen.BOOTSTRAP_SEED)
    n = len(gold)
    draws = []
    for _ in range(frozen.BOOTSTRAP):
        i = rng.integers(0, n, n)
        draws.append(figures([gold[k] for k in i], [predicted[k] for k in i]))
    keys = ("coverage", "precision", "accuracy", "accuracy_on_gold")
    return {
        level: {
            k: tuple(
                round(float(v), 3) for v in np.percentile([d[level][k] for d in draws], [2.5, 97.5])
            )
            for k in keys
        }
        for level in LEVELS
    }
