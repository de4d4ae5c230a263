"""Which tickets a topic's rule takes (pure: rows in, matches out; nothing reads the database).

A ticket matches when it falls in every part of the rule the center set: its period, one of
its regions (or below), one of its categories (or below), and names one of its words after the
one normaliser (rule 4). Parts left empty do not restrict; a rule with no part at all is
refused by the service, so a topic never takes every ticket by accident.
"""

import functools
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import ahocorasick

from hotline.text import _compatibility, normalize


@dataclass(frozen=True)
class Rule:
    words: tuple[str, ...]
    category_ids: frozenset[int] | None  # None: any category
    region_ids: frozenset[int] | None  # None: any region
    starts_at: datetime | None
    ends_at: datetime | None
    automaton: object = None
    # Characters one of which a raw text must hold for a word to appear once it is normalised:
    # most demands hold none, and skip the normaliser (the costly part of a retroactive pass).
    gate: frozenset[str] = frozenset()


@functools.cache
def _sources() -> dict[str, set[str]]:
    """For each character, the BMP characters that the normaliser may turn into text holding
    it: compatibility forms (full-width, ①, ㈱…), upper case, and precomposed letters' bases."""
    out: dict[str, set[str]] = {}
    _, changed = _compatibility()
    for src, image in changed.items():
        for c in image.lower():
            out.setdefault(c, set()).add(src)
    for code in range(0x10000):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        low = ch.lower()
        if low != ch:
            for c in low:
                out.setdefault(c, set()).add(ch)
        base = unicodedata.normalize("NFKD", ch)[:1]
        if base and base != ch:
            out.setdefault(ch, set()).add(base)
    return out


def _gate(words) -> frozenset[str]:
    sources = _sources()
    gate = set()
    for w in words:
        gate.add(w[0])
        gate |= sources.get(w[0], set())
    return frozenset(gate)


def rule(*, words, category_ids=None, region_ids=None, starts_at=None, ends_at=None) -> Rule:
    """A rule prepared once for many rows (the words in one Aho–Corasick automaton)."""
    clean = tuple(dict.fromkeys(w for w in (normalize(x).strip() for x in words) if w))
    automaton = None
    if clean:
        automaton = ahocorasick.Automaton()
        for w in clean:
            automaton.add_word(w, w)
        automaton.make_automaton()
    return Rule(
        words=clean,
        category_ids=frozenset(category_ids) if category_ids else None,
        region_ids=frozenset(region_ids) if region_ids else None,
        starts_at=starts_at,
        ends_at=ends_at,
        automaton=automaton,
        gate=_gate(clean),
    )


def words_in(r: Rule, title: str, content: str) -> tuple[str, ...] | None:
    """The rule's words the text names (in the rule's order); () when the rule has no words;
    None when it has words and the text names none."""
    if r.automaton is None:
        return ()
    raw = f"{title} {content}"
    # Beyond the BMP the normaliser may do anything (it falls back to NFKC): no gate there.
    if (raw.isascii() or max(raw) <= "\uffff") and not any(c in raw for c in r.gate):
        return None
    text = normalize(raw)
    found = {w for _, w in r.automaton.iter(text)}
    if not found:
        return None
    return tuple(w for w in r.words if w in found)


def match(r: Rule, *, title, content, category_id, region_id, created_at):
    """The words that matched (possibly none) when the ticket matches; None otherwise."""
    if r.starts_at is not None and created_at < r.starts_at:
        return None
    if r.ends_at is not None and created_at > r.ends_at:
        return None
    if r.category_ids is not None and category_id not in r.category_ids:
        return None
    if r.region_ids is not None and region_id not in r.region_ids:
        return None
    return words_in(r, title, content)
