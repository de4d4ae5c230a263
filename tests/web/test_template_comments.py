"""Django's {# #} comment is one line only: a multi-line one is printed on the page."""

import re
from pathlib import Path

import hotline

ROOT = Path(hotline.__file__).parent


def test_no_template_has_a_multiline_short_comment():
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in ROOT.rglob("*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\{#(?!.*#\})", line)
    ]
    assert found == []
