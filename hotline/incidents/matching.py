"""Which demands are an incident's: words, the classifier and the region (pure functions).

A demand matches when it falls in the incident's period and regions and either
- names one of the incident's keywords (after the one normaliser, rule 4), or
- the classifier puts it in one of the incident's categories with enough confidence and it
  reads like one of the example demands (shared character bigrams): the category alone is too
  broad (every water complaint is not the water cut), the examples alone too narrow.
The caller passes the classifier's label and confidence; nothing here reads the database.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from hotline.text import normalize

MIN_CONFIDENCE = 0.5
MIN_SIMILARITY = 0.25


@dataclass(frozen=True)
class Rule:
    """What an incident matches on, prepared once per sweep."""

    keywords: tuple[str, ...]
    categories: frozenset[str]
    example_grams: tuple[frozenset[str], ...]
    region_paths: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    source: str  # "keyword" | "classifier"
    words: tuple[str, ...]


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the normalised text, spaces dropped."""
    s = normalize(text).replace(" ", "")
    return frozenset(s[i : i + 2] for i in range(len(s) - 1))


def rule(
    *,
    keywords: Iterable[str],
    categories: Iterable[str],
    examples: Iterable[str],
    region_paths: Iterable[str],
) -> Rule:
    words = tuple(dict.fromkeys(k for k in (normalize(w).strip() for w in keywords) if k))
    return Rule(
        keywords=words,
        categories=frozenset(categories),
        example_grams=tuple(g for g in (bigrams(e) for e in examples) if g),
        region_paths=tuple(region_paths),
    )


def similarity(grams: frozenset[str], example: frozenset[str]) -> float:
    """Share of the example's bigrams the demand contains (a short demand may echo a long
    example only in part, so the example is the denominator)."""
    return len(grams & example) / len(example) if example else 0.0


def in_regions(region_path: str | None, r: Rule) -> bool:
    return region_path is not None and any(region_path.startswith(p) for p in r.region_paths)


def match(
    r: Rule,
    *,
    text: str,
    region_path: str | None,
    label: str | None = None,
    confidence: float = 0.0,
) -> Match | None:
    """The reason `text` (title and content) is the incident's, or None."""
    if not in_regions(region_path, r):
        return None
    norm = normalize(text)
    hits = tuple(w for w in r.keywords if w in norm)
    if hits:
        return Match("keyword", hits)
    if label is None or label not in r.categories or confidence < MIN_CONFIDENCE:
        return None
    grams = bigrams(text)
    best = max((similarity(grams, e) for e in r.example_grams), default=0.0)
    return Match("classifier", (label,)) if best >= MIN_SIMILARITY else None
