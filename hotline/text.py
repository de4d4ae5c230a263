"""Rule 4: the one normaliser every match, classification and hash goes through."""

import re
import unicodedata

# The full-width forms (！ to ～) and the ideographic space: the only characters of ordinary
# Chinese text that NFKC changes, mapped to what NFKC makes of them.
_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_NARROW = {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in [*range(0xFF01, 0xFF5F), 0x3000]}


def _narrow(match: re.Match) -> str:
    return _NARROW[match.group()]


def nfkc(value: str) -> str:
    """`unicodedata.normalize("NFKC", value)`, exactly, at a fifth of its cost on Chinese text.

    NFKC decomposes and recomposes the whole string as soon as one character needs it, and
    nearly every demand has full-width punctuation (，：（）). Those are replaced one by one
    first (NFKC of the result is NFKC of the original, since each replacement is what NFKC
    decomposes that character to); the result is returned when Unicode's quick check finds
    it already normalised, and goes through NFKC otherwise (other compatibility characters,
    combining marks)."""
    value = _WIDE.sub(_narrow, value)
    if unicodedata.is_normalized("NFKC", value):
        return value
    return unicodedata.normalize("NFKC", value)


def normalize(value: str) -> str:
    """Full-width to half-width (NFKC), lower case, runs of whitespace to one space."""
    # str.split() splits on exactly what `\s` matches, and drops the ends.
    return " ".join(nfkc(value or "").split()).lower()


# Everything but letters, digits and CJK: what evaders put between the characters of a word.
_NOT_WORD = re.compile(r"[\W_]+")


def compact(value: str) -> str:
    """`normalize`, then drop spaces, punctuation and symbols ("跳 楼", "跳*楼" → "跳楼")."""
    return _NOT_WORD.sub("", normalize(value))
