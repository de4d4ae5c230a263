"""The training replies outside the split, read by the whole guide (docs/labelling-replies.md §7.2).

    .venv/bin/python scripts/reply_training_labels.py pending READING.csv OUT.txt
    .venv/bin/python scripts/reply_training_labels.py merge READING.csv THIRD.csv

READING.csv (id, verdict, category, unsure, reason) is one blind reading of two kinds of reply:
the 849 rows of docs/data/reply_labels.csv outside the 1,000 split replies (read once before,
partly before the guide's §5 and §7 existed), and the 919 pool replies never labelled
(scripts/reply_label_sample.py's order, the rest of it). Where a re-read row's verdict differs
from its earlier one, a third reader decides (THIRD.csv: id, verdict, category, reason), as for
the split (scripts/reply_adjudication.py). `merge` writes docs/data/reply_labels_guide7.csv:
id, origin (reread | pool-new), verdict, category, unsure, reason, source (agreed | adjudicated |
single). Frozen test ids never appear.
"""

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ROOT / "docs" / "data" / "reply_labels.csv"
SPLIT = ROOT / "tests" / "data" / "labels" / "replies.csv"
OUT = ROOT / "docs" / "data" / "reply_labels_guide7.csv"
sys.path.insert(0, str(ROOT / "scripts"))

from reply_adjudication import CATEGORIES, checked, write, write_pending  # noqa: E402  (a sibling script)


def read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def earlier() -> dict[str, str]:
    """Verdict of each extra-file row outside the split: the rows read a second time."""
    split = {r["id"] for r in read(SPLIT)}
    return {r["id"]: r["label"] for r in read(EXTRA) if r["id"] not in split}


def reading(path: Path) -> dict[str, dict]:
    rows = {r["id"]: r for r in read(path)}
    split = {r["id"] for r in read(SPLIT)}
    bad = [
        i
        for i, r in rows.items()
        if i in split
        or r["verdict"] not in ("ok", "send_back")
        or r["category"] not in CATEGORIES
        or (r["verdict"] == "ok") != (r["category"] == "none")
        or r["unsure"] not in ("0", "1")
        or not r["reason"].strip()
    ]
    if bad:
        sys.exit(f"{path}: invalid or split rows: {bad[:10]}")
    missing = set(earlier()) - set(rows)
    if missing:
        sys.exit(f"{path}: {len(missing)} re-read rows missing, e.g. {sorted(missing)[:5]}")
    return rows


def disputed(rows: dict[str, dict]) -> list[str]:
    before = earlier()
    return [i for i in rows if i in before and before[i] != rows[i]["verdict"]]


def pending(reading_path: Path, out: Path):
    rows = reading(reading_path)
    first = {
        r["id"]: {
            "verdict": r["label"],
            "category": r.get("category") or "-",
            "reason": r["reason"],
        }
        for r in read(EXTRA)
    }
    ids = disputed(rows)
    write_pending(out, ids, first, rows)
    print(f"{len(ids)} disagreements of {len(rows)} written to {out}")


def merge(reading_path: Path, third_path: Path):
    rows = reading(reading_path)
    third = {r["id"]: r for r in read(third_path)}
    ids = set(disputed(rows))
    if set(third) != ids:
        sys.exit(f"{third_path} must decide exactly the {len(ids)} disagreements")
    before = earlier()
    out = []
    for i, r in rows.items():
        row = {"id": i, "origin": "reread" if i in before else "pool-new", "unsure": r["unsure"]}
        if i in third:
            t = checked(third_path, third[i])
            row |= {k: t[k] for k in ("verdict", "category", "reason")} | {"source": "adjudicated"}
        else:
            row |= {k: r[k] for k in ("verdict", "category", "reason")}
            row["source"] = "agreed" if i in before else "single"
        out.append(row)
    out.sort(key=lambda r: int(r["id"]))
    write(OUT, ["id", "origin", "verdict", "category", "unsure", "source", "reason"], out)
    print(f"{len(out)} labels written to {OUT} ({len(third)} adjudicated)")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pending")
    p.add_argument("reading", type=Path)
    p.add_argument("out", type=Path)
    m = sub.add_parser("merge")
    m.add_argument("reading", type=Path)
    m.add_argument("third", type=Path)
    args = ap.parse_args()
    if args.command == "pending":
        pending(args.reading, args.out)
    else:
        merge(args.reading, args.third)


if __name__ == "__main__":
    main()
