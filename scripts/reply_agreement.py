"""How far two readings of the same guide agree on which replies go back (issue 17 part 3).

    .venv/bin/python scripts/reply_agreement.py

docs/data/reply_labels_second.csv holds a second reader's verdicts on 200 training replies
(drawn at random, seed 31, from the `tune` rows of tests/data/labels/replies.csv and the pool
rows of docs/data/reply_labels.csv; no frozen `test` row), made by docs/labelling-replies.md
without seeing the first labels. Taking the first reading as the truth, the second reader's
precision and recall are what a model can hope for against these labels; Cohen's kappa says
how much of the agreement is more than chance.
"""

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = (
    ROOT / "tests" / "data" / "labels" / "replies.csv",
    ROOT / "docs" / "data" / "reply_labels.csv",
)
SECOND = ROOT / "docs" / "data" / "reply_labels_second.csv"


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def first_verdicts() -> dict[str, bool]:
    tests, pool = (read(p) for p in FIRST)
    out = {r["id"]: r["verdict"] == "send_back" for r in tests if r["split"] == "tune"}
    for r in pool:
        if r["sample"].startswith("pool"):
            out.setdefault(r["id"], r["label"] == "send_back")
    return out


def agreement(pairs: list[tuple[bool, bool]]) -> dict:
    """(first, second) verdicts → the second reader's P / R / F1 against the first, kappa."""
    n = len(pairs)
    tp = sum(a and b for a, b in pairs)
    fp = sum(b and not a for a, b in pairs)
    fn = sum(a and not b for a, b in pairs)
    observed = sum(a == b for a, b in pairs) / n
    pa, pb = sum(a for a, _ in pairs) / n, sum(b for _, b in pairs) / n
    chance = pa * pb + (1 - pa) * (1 - pb)
    return {
        "n": n,
        "first": tp + fn,
        "second": tp + fp,
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "f1": 2 * tp / (2 * tp + fp + fn),
        "kappa": (observed - chance) / (1 - chance),
    }


def main():
    first = first_verdicts()
    second = read(SECOND)
    assert all(r["id"] in first for r in second), "a second label outside the training rows"
    groups = {
        "all": second,
        "second reader sure": [r for r in second if r["unsure"] == "0"],
        "second reader unsure (两可)": [r for r in second if r["unsure"] == "1"],
    }
    for name, rows in groups.items():
        a = agreement([(first[r["id"]], r["verdict"] == "send_back") for r in rows])
        print(
            f"{name:<28} n {a['n']:>3}  send back: first {a['first']:>2}, second {a['second']:>2}"
            f"  second vs first: P {a['precision']:.3f} R {a['recall']:.3f} F1 {a['f1']:.3f}"
            f"  kappa {a['kappa']:.3f}"
        )


if __name__ == "__main__":
    main()
