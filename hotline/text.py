"""Rule 4: the one normaliser every match, classification and hash goes through."""

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalize(value: str) -> str:
    """Full-width to half-width (NFKC), lower case, runs of whitespace to one space."""
    value = unicodedata.normalize("NFKC", value or "")
    return _SPACE.sub(" ", value).strip().lower()
