"""Near-duplicate demands: MinHash over character bigrams, LSH band keys in an index.

The signature uses one-permutation hashing: every bigram is hashed once and lands in one of
BINS bins, each bin keeps its minimum. That costs one multiplication per bigram (a few
microseconds per demand, vectorised), against one hash per bigram and permutation for
classic MinHash. Bins agree with probability equal to the Jaccard similarity of the bigram
sets. Pairs of bins form BANDS band keys, each mixed with the scope (the city) so that a
lookup only meets the same city's demands; a lookup is `key IN (…) AND created_at >= …` on
one composite index, never a scan. Candidates are then ranked by the bins they share.
"""

import struct
from dataclasses import dataclass

import numpy as np

from hotline.text import compact

BINS = 32
ROWS = 2  # bins per band: 16 bands; a pair at Jaccard 0.5 shares a band with p ≈ 0.99
BANDS = BINS // ROWS
EMPTY = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
_MULT = 0x9E3779B97F4A7C15  # odd 64-bit constant (golden ratio): spreads the bigram codes
_PACK = struct.Struct(f">{BINS}I")
_OFFSET = 0x632BE59BD9B4E019
_U21, _U29, _U59 = np.uint64(21), np.uint64(29), np.uint64(59)
_U_OFFSET, _U_MULT = np.uint64(_OFFSET), np.uint64(_MULT)
_U_VALUE = np.uint64(0xFFFFFFFE)  # the low 32 bits, never EMPTY


@dataclass(frozen=True)
class Signature:
    bins: tuple[int, ...]

    def pack(self) -> bytes:
        return _PACK.pack(*self.bins)

    @classmethod
    def unpack(cls, data: bytes) -> "Signature":
        return cls(_PACK.unpack(bytes(data)))

    def similarity(self, other: "Signature") -> float:
        """Estimated Jaccard similarity of the two bigram sets (bins empty in both skipped)."""
        same = used = 0
        for a, b in zip(self.bins, other.bins, strict=True):
            if a == EMPTY and b == EMPTY:
                continue
            used += 1
            same += a == b
        return same / used if used else 0.0


def signature(*texts: str) -> Signature | None:
    """The signature of the texts as one; None when there are fewer than 3 bigrams.

    Vectorised with numpy (a demand has hundreds of bigrams; a Python loop over them cost
    0.2 ms): its unsigned 64-bit arithmetic wraps as the `& _MASK64` of the definition
    (tests/screening keep the loop as the reference)."""
    s = compact(" ".join(t for t in texts if t))
    if len(s) < 4:
        return None
    if not _three_distinct(s):
        return None
    chars = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    codes = (chars[:-1] << _U21) | chars[1:]  # repeated bigrams change no minimum
    h = (codes + _U_OFFSET) * _U_MULT
    h ^= h >> _U29
    h *= _U_MULT
    mins = np.full(BINS, EMPTY, dtype=np.uint64)
    np.minimum.at(mins, (h >> _U59).astype(np.intp), h & _U_VALUE)  # top 5 bits: the bin
    return Signature(tuple(mins.tolist()))


def _three_distinct(s: str) -> bool:
    """Whether `s` has at least three different bigrams. Read from the start, a demand has
    them within its first few characters: a loop that stops there costs less than the
    array operations over all of them did (six numpy calls, 2 % of a registration)."""
    first = s[:2]
    second = None
    for i in range(1, len(s) - 1):
        pair = s[i : i + 2]
        if pair != first:
            if second is None:
                second = pair
            elif pair != second:
                return True
    return False


def scope_of(region) -> str:
    """The duplicate scope of a region: its city (the first four digits of the code)."""
    code = getattr(region, "code", None) or str(region or "")
    return code[:4] + "00" if code else ""


def band_keys(sig: Signature, scope: str) -> list[int]:
    """The band keys of a signature in a scope; bands with an empty bin give none."""
    s = int(scope) if scope.isdigit() else 0
    keys = []
    for i in range(BANDS):
        part = sig.bins[i * ROWS : (i + 1) * ROWS]
        if EMPTY in part:
            continue
        # hash() of a tuple of ints is the same in every process (no string hashing).
        keys.append(hash((s, i, *part)))
    return keys
