"""Derive the category fixture from the source taxonomy (a developer tool, not run by the product).

The source is a flat `level1,level2,level3` CSV (15/118/517 distinct nodes). The product keeps
its own copy with stable codes so that it never reads the shared data folder at run time:

    .venv/bin/python -m hotline.catalog.derive /work/shared/data/categories.csv \
        hotline/catalog/fixtures/categories.csv

Codes follow the order of first appearance in the source: level 1 "01", level 2 "0101",
level 3 "010101". Re-running on the same source gives the same codes, so tickets keep pointing
at the right node. Appending new names to the source keeps existing codes; reordering it
would renumber, so edit the fixture rather than the source once the product is live.
"""

import csv
import sys
from pathlib import Path

# Names that mark a water/power/gas/heating node (the short utility acknowledgement limit).
# Matched as substrings of the node's own name; the source has exactly four such nodes
# (冬季采暖, 燃气供应, 电力供应, 自来水供应). "水污染", "水利水电", "能源开发供应" deliberately
# do not match: they are environment, water-works and energy-policy demands, not outages.
UTILITY_MARKERS = (
    "供水",
    "自来水",
    "停水",
    "供电",
    "电力供应",
    "停电",
    "供气",
    "燃气",
    "停气",
    "供暖",
    "采暖",
    "供热",
    "热力",
)

FIELDS = ["code", "level", "name", "parent_code", "full_name", "is_utility"]


def is_utility_name(name: str) -> bool:
    """True if a category name is about water, power, gas or heating supply."""
    return any(marker in name for marker in UTILITY_MARKERS)


def derive_rows(source: Path) -> list[dict]:
    """Turn the flat level1,level2,level3 source into coded fixture rows, parents first."""
    codes: dict[tuple[str, ...], str] = {}
    children: dict[tuple[str, ...], int] = {}
    rows: list[dict] = []
    with source.open(encoding="utf-8-sig", newline="") as f:
        for record in csv.DictReader(f):
            path: tuple[str, ...] = ()
            for level, key in enumerate(("level1", "level2", "level3"), start=1):
                name = record[key].strip()
                node = (*path, name)
                if node not in codes:
                    children[path] = children.get(path, 0) + 1
                    parent_code = codes.get(path, "")
                    codes[node] = f"{parent_code}{children[path]:02d}"
                    rows.append(
                        {
                            "code": codes[node],
                            "level": level,
                            "name": name,
                            "parent_code": parent_code,
                            "full_name": "/".join(node),
                            "is_utility": int(is_utility_name(name)),
                        }
                    )
                path = node
    # Code order is tree order (each parent right before its children), so the file reads
    # like the taxonomy and a loader meets every parent before its children.
    rows.sort(key=lambda r: r["code"])
    return rows


def write_fixture(*, source: Path, target: Path) -> int:
    """Write the coded fixture and return the number of nodes written."""
    rows = derive_rows(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    count = write_fixture(source=Path(sys.argv[1]), target=Path(sys.argv[2]))
    print(f"{count} categories written to {sys.argv[2]}")
