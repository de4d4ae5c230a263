"""Category-name features: how often the words of each level-1 and level-2 category occur.

The words come from the category tree itself (a level-1 node gathers the words of every node
below it, a level-2 node those of its own and its leaves), so they need no extra data. Added
to the character n-grams they lift five-fold macro-F1 from 0.858 to 0.877 on the labelled
messages: the tree's vocabulary (物业, 社会保险, 公共汽车 …) generalises beyond 1,020 examples.
"""

import ahocorasick
import numpy as np
from scipy.sparse import csr_matrix

from . import taxonomy

SCALE = 0.2  # against TF-IDF rows of unit length; chosen by five-fold CV among 0.1–1.0
TITLE_WEIGHT = 2


class KeywordFeatures:
    """Fitted once from the tree; pickled with the model so predictions use the same words."""

    def __init__(self):
        nodes = taxonomy.tree()
        groups = sorted(n.code for n in nodes.values() if n.level in (1, 2))
        position = {code: i for i, code in enumerate(groups)}
        words: dict[str, set[int]] = {}
        for n in nodes.values():
            path = taxonomy.path(n.code)
            targets = {position[path[0]]}
            if len(path) > 1:
                targets.add(position[path[1]])
            for w in n.keywords:
                words.setdefault(w, set()).update(targets)
        self.names = np.array([f"类:{nodes[c].name}" for c in groups])
        self.by_prefix: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for w, targets in words.items():
            self.by_prefix.setdefault(w[:2], []).append((w, tuple(sorted(targets))))

    @property
    def size(self) -> int:
        return len(self.names)

    def _automaton(self):
        """Every word at once (Aho-Corasick, in C): a pass over the text per message instead of
        a dictionary lookup per character pair (a third of classifying, cProfile). Built on
        first use, not pickled: models saved before it carry `by_prefix` only."""
        found = self.__dict__.get("_words")
        if found is None:
            found = ahocorasick.Automaton()
            for bucket in self.by_prefix.values():
                for w, targets in bucket:
                    found.add_word(w, targets)
            found.make_automaton()
            self._words = found
        return found

    def _count(self, text: str, weight: int, out: np.ndarray) -> None:
        # Every occurrence counts, overlapping ones and several words ending at one place too.
        for _end, targets in self._automaton().iter(text):
            for t in targets:
                out[t] += weight

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_words", None)
        return state

    def transform(self, docs: list[tuple[str, str]]) -> csr_matrix:
        counts = np.zeros((len(docs), self.size))
        for row, (title, content) in enumerate(docs):
            self._count(title, TITLE_WEIGHT, counts[row])
            self._count(content, 1, counts[row])
        return csr_matrix(np.log1p(counts) * SCALE)
