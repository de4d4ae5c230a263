"""Second reading and adjudication of the 1,000 split replies (docs/labelling-replies.md §7).

    .venv/bin/python scripts/reply_adjudication.py report
    .venv/bin/python scripts/reply_adjudication.py pending OUT.txt   # disagreements, for the third reader
    .venv/bin/python scripts/reply_adjudication.py merge THIRD.csv   # writes the adjudicated labels

The first reading is tests/data/labels/replies.csv; the second, made blind to it by the full
guide, is tests/data/labels/replies_second.csv. Where the two verdicts differ, a third reader
decides from the demand, the reply, both readings and the guide (THIRD.csv: id, verdict,
category, reason); where they agree, the first reading stands. The result is
tests/data/labels/replies_adjudicated.csv. No reader sees the product's verdicts: `pending`
prints only texts and the two readings.
"""

import argparse
import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "labels"
FIRST = LABELS / "replies.csv"
SECOND = LABELS / "replies_second.csv"
ADJUDICATED = LABELS / "replies_adjudicated.csv"
sys.path.insert(0, str(ROOT / "scripts"))

from reply_agreement import agreement  # noqa: E402  (a sibling script, not a package)


def read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


CATEGORIES = {"none", "perfunctory", "irrelevant", "buck_passing", "missing_points", "error",
              "privacy", "tone", "defective"}  # fmt: skip


def checked(path: Path, row: dict) -> dict:
    """A third reader's row, or exit naming the id if its verdict and category don't fit."""
    if (
        row["category"] not in CATEGORIES
        or (row["verdict"] == "ok") != (row["category"] == "none")
        or row["verdict"] not in ("ok", "send_back")
    ):
        sys.exit(f"{path}: id {row['id']}: verdict {row['verdict']!r} / {row['category']!r}")
    return row


def write(path: Path, fields: list[str], rows: list[dict]):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def readings() -> tuple[dict[str, dict], dict[str, dict]]:
    first = {r["id"]: r for r in read(FIRST)}
    second = {r["id"]: r for r in read(SECOND)}
    if set(first) != set(second):
        sys.exit(f"{SECOND.name} must read the same {len(first)} ids as {FIRST.name}")
    return first, second


def report():
    first, second = readings()
    for split in ("test", "tune"):
        ids = [i for i in first if first[i]["split"] == split]
        for name, chosen in (
            ("all", ids),
            ("second sure", [i for i in ids if second[i]["unsure"] == "0"]),
            ("second unsure", [i for i in ids if second[i]["unsure"] == "1"]),
        ):
            pairs = [
                (first[i]["verdict"] == "send_back", second[i]["verdict"] == "send_back")
                for i in chosen
            ]
            a = agreement(pairs)
            print(
                f"{split:>4} {name:<13} n {a['n']:>3}  send back: first {a['first']:>3}, second "
                f"{a['second']:>3}  second vs first: P {a['precision']:.3f} R {a['recall']:.3f}"
                f"  kappa {a['kappa']:.3f}"
            )
    if ADJUDICATED.exists():
        final = {r["id"]: r for r in read(ADJUDICATED)}
        for split in ("test", "tune"):
            ids = [i for i in final if final[i]["split"] == split]
            send_back = sum(final[i]["verdict"] == "send_back" for i in ids)
            changed = sum(final[i]["verdict"] != first[i]["verdict"] for i in ids)
            print(
                f"{split:>4} adjudicated: {len(ids)} replies, {send_back} send back, "
                f"{changed} verdicts differ from the first reading"
            )
            # One careful reading against the adjudicated labels: what a single reader reaches.
            for name, reading in (("first", first), ("second", second)):
                a = agreement(
                    [
                        (final[i]["verdict"] == "send_back", reading[i]["verdict"] == "send_back")
                        for i in ids
                    ]
                )
                print(
                    f"{split:>4} {name} reading vs adjudicated: P {a['precision']:.3f} "
                    f"R {a['recall']:.3f} F1 {a['f1']:.3f} kappa {a['kappa']:.3f}"
                )


def write_pending(out: Path, ids: list[str], first: dict, second: dict):
    """The disagreements for the third reader: demand, reply and the two readings, no verdict
    of the product's."""
    data = Path(os.environ.get("HOTLINE_DATA_DIR", ROOT.parent / "shared" / "data"))
    with open(data / "replies.csv", encoding="utf-8", newline="") as f:
        texts = {r["id"]: r for r in csv.DictReader(f)}
    with open(out, "w", encoding="utf-8") as f:
        for k, i in enumerate(ids, 1):
            a, b, t = first[i], second[i], texts[i]
            f.write(
                f"=== [{k}/{len(ids)}] id={i}\n标题：{t['title']}\n诉求：{t['content']}\n"
                f"答复：{t['reply']}\n甲读：{a['verdict']} / {a['category']}：{a['reason']}\n"
                f"乙读：{b['verdict']} / {b['category']}：{b['reason']}\n\n"
            )


def pending(out: Path):
    first, second = readings()
    ids = [i for i in first if first[i]["verdict"] != second[i]["verdict"]]
    write_pending(out, ids, first, second)
    print(f"{len(ids)} disagreements written to {out}")


def merge(third_path: Path):
    first, second = readings()
    third = {r["id"]: r for r in read(third_path)}
    disputed = {i for i in first if first[i]["verdict"] != second[i]["verdict"]}
    if set(third) != disputed:
        sys.exit(
            f"{third_path} must decide exactly the {len(disputed)} disagreements "
            f"(missing {len(disputed - set(third))}, extra {len(set(third) - disputed)})"
        )
    rows = []
    for i, a in first.items():
        if i in third:
            t = checked(third_path, third[i])
            row = {**t, "source": "adjudicated"}
        else:
            row = {**a, "source": "agreed"}
        rows.append({k: row[k] for k in ("id", "verdict", "category", "reason", "source")})
        rows[-1]["split"] = a["split"]
    write(ADJUDICATED, ["id", "split", "verdict", "category", "source", "reason"], rows)
    print(f"{len(rows)} labels written to {ADJUDICATED} ({len(third)} adjudicated)")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("report")
    sub.add_parser("pending").add_argument("out", type=Path)
    sub.add_parser("merge").add_argument("third", type=Path)
    args = ap.parse_args()
    if args.command == "report":
        report()
    elif args.command == "pending":
        pending(args.out)
    else:
        merge(args.third)


if __name__ == "__main__":
    main()
