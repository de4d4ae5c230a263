"""The category tree as routing reads it, and the keyword rule for the second and third level.

The tree comes from the catalog's fixture (the same file the catalog loads), so classifying
needs no database. Levels 2 and 3 are never guessed: a node is named only when words of its
own name occur in the demand and no sibling's words tie with it.
"""

import csv
import functools
import re
from dataclasses import dataclass

import ahocorasick

from hotline.catalog.services import CATEGORIES_CSV

# Compound names ("住房保障与房地产") split into their parts; "其他" is never evidence.
_SPLIT = re.compile(r"[与和及、/()（）]")
MIN_LEVEL1_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    level: int
    parent: str
    keywords: tuple[str, ...]


@functools.cache
def tree() -> dict[str, Node]:
    with open(CATEGORIES_CSV, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    nodes = {}
    for r in rows:
        words = tuple(w for w in _SPLIT.split(r["name"]) if len(w) >= 2 and w != "其他")
        nodes[r["code"]] = Node(r["code"], r["name"], int(r["level"]), r["parent_code"], words)
    return nodes


@functools.cache
def level1_codes() -> dict[str, str]:
    """Level-1 name → code (城乡建设 → 01)."""
    return {n.name: n.code for n in tree().values() if n.level == 1}


@functools.cache
def _children(code: str) -> tuple[Node, ...]:
    return tuple(n for n in tree().values() if n.parent == code)


@functools.cache
def _names_automaton():
    """Every node's name words in one automaton, and each word's nodes: one pass over a text
    finds which words occur at all, so only those are counted (most of the 517 never are)."""
    found = ahocorasick.Automaton()
    nodes_of: dict[str, list[Node]] = {}
    for n in tree().values():
        for w in n.keywords:
            nodes_of.setdefault(w, []).append(n)
    for w in nodes_of:
        found.add_word(w, w)
    found.make_automaton()
    return found, nodes_of


def _word_counts(title: str, content: str) -> dict[str, int]:
    """Each name word in the text, title twice: `str.count`, non-overlapping, as ever."""
    auto, _nodes_of = _names_automaton()
    present = {w for text in (title, content) if text for _end, w in auto.iter(text)}
    return {w: 2 * title.count(w) + content.count(w) for w in present}


def _best(nodes, counts: dict[str, int]) -> Node | None:
    scores: dict[str, int] = {}
    _auto, nodes_of = _names_automaton()
    for w, c in counts.items():
        for n in nodes_of[w]:
            if n.code in nodes:
                scores[n.code] = scores.get(n.code, 0) + c
    ranked = sorted(scores.items(), key=lambda s: -s[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None  # nothing, or a tie: unknown rather than invented
    return nodes[ranked[0][0]]


def deeper(
    level1: str, confidence: float, title: str, content: str
) -> tuple[str | None, str | None]:
    """Codes of level 2 and level 3 under `level1` found by their names in the text, or None."""
    code = level1_codes().get(level1)
    if code is None or confidence < MIN_LEVEL1_CONFIDENCE:
        return None, None
    return rule_deeper(code, title, content)


def rule_deeper(code: str, title: str, content: str) -> tuple[str | None, str | None]:
    """The name rule under the level-1 `code`: the leaf, else the level-2 node, that the
    demand's words name without a tie."""
    counts = _word_counts(title, content)
    leaf = _best(_leaves(code), counts)
    if leaf is not None:
        return leaf.parent, leaf.code
    node = _best(_level2(code), counts)
    return (node.code if node else None), None


@functools.cache
def _level2(code: str) -> dict[str, Node]:
    return {n.code: n for n in _children(code)}


@functools.cache
def _leaves(code: str) -> dict[str, Node]:
    return {n.code: n for n2 in _children(code) for n in _children(n2.code)}


def path(code: str | None) -> list[str]:
    """The codes from the root down to `code` (["01", "0102", "010203"])."""
    out = []
    nodes = tree()
    while code:
        out.append(code)
        code = nodes[code].parent if code in nodes else ""
    return out[::-1]
