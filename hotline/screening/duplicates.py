"""Near-duplicate demands: MinHash over character bigrams, LSH band keys in an index.

The signature uses one-permutation hashing: every bigram is hashed once and lands in one of
BINS bins, each bin keeps its minimum. That costs one multiplication per bigram (tens of
microseconds per demand in pure Python), against one hash per bigram and permutation for
classic MinHash. Bins agree with probability equal to the Jaccard similarity of the bigram
sets. Pairs of bins form BANDS band keys, each mixed with the scope (the city) so that a
lookup only meets the same city's demands; a lookup is `key IN (…) AND created_at >= …` on
one composite index, never a scan. Candidates are then ranked by the bins they share.
"""

import struct
from dataclasses import dataclass

from hotline.text import compact

BINS = 32
ROWS = 2  # bins per band: 16 bands; a pair at Jaccard 0.5 shares a band with p ≈ 0.99
BANDS = BINS // ROWS
EMPTY = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
_MULT = 0x9E3779B97F4A7C15  # odd 64-bit constant (golden ratio): spreads the bigram codes
_PACK = struct.Struct(f">{BINS}I")


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
    """The signature of the texts as one; None when there are fewer than 3 bigrams."""
    s = compact(" ".join(t for t in texts if t))
    codes = {(ord(a) << 21) | ord(b) for a, b in zip(s, s[1:], strict=False)}
    if len(codes) < 3:
        return None
    mins = [EMPTY] * BINS
    for code in codes:
        h = ((code + 0x632BE59BD9B4E019) * _MULT) & _MASK64
        h ^= h >> 29
        h = (h * _MULT) & _MASK64
        b = h >> 59  # the top 5 bits choose the bin (BINS = 32)
        v = h & 0xFFFFFFFE  # never EMPTY
        if v < mins[b]:
            mins[b] = v
    return Signature(tuple(mins))


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
