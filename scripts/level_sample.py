"""Draw the samples of messages labelled for levels 2 and 3 (docs/labelling-levels.md).

Stratified by the first-level label, proportional; drawn before any product output was looked
at. `test` (default): frozen-split messages, seed 2026 — the sample the figures are reported on.
`tune`: messages outside the frozen split, seed 2027 — the sample level 2/3 is tuned on.
Prints `id,label` lines. Usage: .venv/bin/python scripts/level_sample.py [N] [test|tune]
"""

import csv
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

from hotline.routing.frozen import frozen_ids

SEED = 2026
SEEDS = {"test": SEED, "tune": SEED + 1}


def sample(n: int = 100, part: str = "test") -> list[dict]:
    data = Path(os.environ.get("HOTLINE_DATA_DIR", "/work/shared/data"))
    ids = frozen_ids()
    with open(data / "messages_labeled.csv", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if (r["id"] in ids) == (part == "test")]
    by_label = defaultdict(list)
    for r in rows:
        by_label[r["label"]].append(r)
    rng = random.Random(SEEDS[part])
    out = []
    for label in sorted(by_label):
        group = sorted(by_label[label], key=lambda r: int(r["id"]))
        k = min(len(group), round(n * len(group) / len(rows)))
        out.extend(rng.sample(group, k))
    return out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    for r in sample(n, sys.argv[2] if len(sys.argv) > 2 else "test"):
        print(f"{r['id']},{r['label']}")
