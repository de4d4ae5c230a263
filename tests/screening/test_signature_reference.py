"""The vectorised MinHash signature is bit for bit the loop it replaced (stored signatures
and band keys of earlier demands must keep matching new ones)."""

import random

import pytest

from hotline.screening import duplicates
from hotline.screening.duplicates import BINS, EMPTY, Signature, signature
from hotline.text import compact

from ..realdata import real_messages

MASK64 = (1 << 64) - 1


def reference(*texts: str) -> Signature | None:
    """The definition: one-permutation MinHash over the set of character bigrams."""
    s = compact(" ".join(t for t in texts if t))
    codes = {(ord(a) << 21) | ord(b) for a, b in zip(s, s[1:], strict=False)}
    if len(codes) < 3:
        return None
    mins = [EMPTY] * BINS
    for code in codes:
        h = ((code + 0x632BE59BD9B4E019) * duplicates._MULT) & MASK64
        h ^= h >> 29
        h = (h * duplicates._MULT) & MASK64
        b = h >> 59
        v = h & 0xFFFFFFFE
        if v < mins[b]:
            mins[b] = v
    return Signature(tuple(mins))


EDGES = ["", "a", "ab", "abc", "abab", "ababa", "aaaa", "aaab", "aaaaaaab", "abcabc",
         "𠀀𠀁𠀂𠀃", "跳楼", "跳楼跳楼", "跳楼自杀", "Ｆｕｌｌ　ｗｉｄｔｈ！！", "a b c d"]  # fmt: skip


@pytest.mark.parametrize("text", EDGES)
def test_edges(text):
    assert signature(text) == reference(text)
    assert signature("标题", text) == reference("标题", text)


def test_random_texts():
    rng = random.Random(7)
    alphabet = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
        + "ab1２ ，。"
    )
    for _ in range(2000):
        n = rng.randrange(0, 60)
        text = "".join(rng.choice(alphabet[: rng.randrange(1, len(alphabet))]) for _ in range(n))
        assert signature(text) == reference(text), text


def test_real_messages():
    for title, content in real_messages():
        assert signature(title, content) == reference(title, content)
