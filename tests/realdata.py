"""The real messages of HOTLINE_DATA_DIR for tests that check code against them; the test
is skipped where the data is not on the machine (the product runs without it)."""

import csv
from pathlib import Path

import pytest
from django.conf import settings


def real_messages(name: str = "messages_labeled.csv") -> list[tuple[str, str]]:
    """(title, content) of each message in `name`."""
    path = Path(settings.DATA_DIR) / name
    if not path.is_file():
        pytest.skip(f"HOTLINE_DATA_DIR has no {name}")
    with path.open(encoding="utf-8") as f:
        return [(row["title"], row["content"]) for row in csv.DictReader(f)]
