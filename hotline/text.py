"""Rule 4: the one normaliser every match, classification and hash goes through."""

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalize(value: str) -> str:
    """Full-width to half-width (NFKC), lower case, runs of whitespace to one space."""
    value = unicodedata.normalize("NFKC", value or "")
    return _SPACE.sub(" ", value).strip().lower()


# Everything but letters, digits and CJK: what evaders put between the characters of a word.
_NOT_WORD = re.compile(r"[\W_]+")


def compact(value: str) -> str:
    """`normalize`, then drop spaces, punctuation and symbols ("跳 楼", "跳*楼" → "跳楼")."""
    return _NOT_WORD.sub("", normalize(value))
