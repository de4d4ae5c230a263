"""The labelled demand set: no red threat missed, false red at most 5 % (docs/screening.md)."""

import pytest

from hotline.screening.lexicon import default_terms
from hotline.screening.matcher import Matcher

from .demand_cases import CASES

MATCHER = Matcher(default_terms())


@pytest.mark.parametrize(("text", "label"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case(text, label):
    level = MATCHER.screen("", text).level

    if label in ("red", "evasion"):
        assert level == "red"
    else:
        assert level != "red"


def test_set_goals():
    threats = [c for c in CASES if c[2] != "safe"]
    safe = [c for c in CASES if c[2] == "safe"]
    missed = [c[0] for c in threats if MATCHER.screen("", c[1]).level != "red"]
    false_red = [c[0] for c in safe if MATCHER.screen("", c[1]).level == "red"]

    assert missed == []
    assert len(false_red) / len(safe) <= 0.05
