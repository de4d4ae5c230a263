"""Draw the sample of frozen-split messages labelled for levels 2 and 3 (docs/labelling-levels.md).

Stratified by the first-level label, proportional, seed 2026; drawn before any product output was
looked at. Prints `id,label` lines. Usage: .venv/bin/python scripts/level_sample.py [N]
"""

import csv
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

from hotline.routing.frozen import frozen_ids

SEED = 2026


def sample(n: int = 100) -> list[dict]:
    data = Path(os.environ.get("HOTLINE_DATA_DIR", "/work/shared/data"))
    ids = frozen_ids()
    with open(data / "messages_labeled.csv", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["id"] in ids]
    by_label = defaultdict(list)
    for r in rows:
        by_label[r["label"]].append(r)
    rng = random.Random(SEED)
    out = []
    for label in sorted(by_label):
        group = sorted(by_label[label], key=lambda r: int(r["id"]))
        k = min(len(group), round(n * len(group) / len(rows)))
        out.extend(rng.sample(group, k))
    return out


if __name__ == "__main__":
    for r in sample(int(sys.argv[1]) if len(sys.argv) > 1 else 100):
        print(f"{r['id']},{r['label']}")
