"""Levels 2 and 3 learned, where the category names alone stay silent.

taxonomy.deeper names a node only when words of its own name occur in the demand: right seven
times in ten, but silent on six demands of ten (docs/benchmarks.md, "Routing levels 2 and 3").
This model keeps that rule where it speaks and otherwise picks the child of the first level
(then of the second) with the highest score of a linear SVM over character 1–2-grams of title
and content. Its training rows are the demands the rule itself labels — the labelled,
hand-labelled and confidently classified pool messages, which is distant supervision from the
tree's own words — plus the hand-labelled tuning sample (docs/data/level_labels_tune.csv,
docs/labelling-levels.md). The frozen test sample (docs/data/level_labels.csv) never trains.

Level 2 decides the unit where a level-2 code is mapped (城乡建设/城市建设和市政管理 → 城管局,
城乡规划 → 自然资源和规划局, 食品药品监管 → 市场监管局), so a node is always named under
a confident first level: the default for a silent level 2 is the level-1 unit, which is what
a wrong guess costs too.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from scipy.sparse import csc_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from hotline import modelfiles

from . import ngrams, store, taxonomy

C = 0.03
# Weights kept per class: 194 classes × 86,000 n-grams dense were a 54 MB file; the strongest
# 2,000 of each class keep the decisions (scripts/level_model.py cv) at a few MB.
KEEP = 2000
# The main demand sits in the title and the content's opening: on the tuning sample's CV the
# first 300 characters decide level 2 as well as 1,500 do (0.670 against 0.668), and building
# the features costs 0.14 ms a demand instead of 0.23.
CONTENT = 300
FILE = "levels-v2.joblib"
_lock = threading.Lock()
_loaded: tuple[tuple, "LevelModel | None"] | None = None  # (file identity, model)


@dataclass
class Scorer:
    """One linear layer over the shared features: class codes and their weights."""

    classes: list[str] = field(default_factory=list)
    rows: dict[str, list[int]] = field(default_factory=dict)  # parent code → its classes' rows
    coef: csc_matrix = field(default_factory=lambda: csc_matrix((0, 0), dtype=np.float32))
    intercept: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def fit(self, x, codes, weights):
        self.classes = sorted(set(codes))
        if len(self.classes) < 2:  # nothing to tell apart: a lone class is always its answer
            coef, icpt = np.zeros((len(self.classes), x.shape[1])), np.zeros(len(self.classes))
        else:
            svm = LinearSVC(C=C, class_weight="balanced", random_state=42)
            svm.fit(x, codes, sample_weight=weights)
            coef, icpt = svm.coef_, svm.intercept_
            if len(self.classes) == 2:  # scikit-learn gives one row for two classes
                coef, icpt = np.vstack([-coef, coef]), np.array([-icpt[0], icpt[0]])
        nodes = taxonomy.tree()
        self.rows = {}
        for i, c in enumerate(self.classes):
            self.rows.setdefault(nodes[c].parent, []).append(i)
        self.coef = _strongest(coef, KEEP)
        self.intercept = icpt.astype(np.float32)
        return self

    def scores(self, x) -> np.ndarray:
        """Every class's score for every row of `x`: one sparse product for a whole batch."""
        return (x @ self.coef.T).toarray() + self.intercept

    def best_child(self, scores: np.ndarray, parent: str) -> str | None:
        """The highest-scoring class code directly under `parent`, or None if none was seen."""
        rows = self.rows.get(parent)
        if not rows:
            return None
        return self.classes[rows[int(np.argmax(scores[rows]))]]


def _strongest(coef: np.ndarray, keep: int) -> csc_matrix:
    """Each row's `keep` largest weights by magnitude, the rest zero, as a sparse matrix;
    column-major, so that `x @ coef.T` multiplies two row-major matrices without a copy."""
    coef = np.asarray(coef, dtype=np.float32)
    if coef.shape[1] > keep:
        cut = np.partition(np.abs(coef), -keep, axis=1)[:, -keep][:, None]
        coef = np.where(np.abs(coef) >= cut, coef, 0)
    return csc_matrix(coef)


class LevelModel:
    def __init__(self):
        self.title_vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        self.content_vec = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2
        )
        self.level2 = Scorer()
        self.level3 = Scorer()

    def _matrix(self, docs, fit=False):
        titles, contents = [d[0] for d in docs], [d[1][:CONTENT] for d in docs]
        if fit:
            parts = [self.title_vec.fit_transform(titles), self.content_vec.fit_transform(contents)]
        else:
            parts = [
                ngrams.transform(self.title_vec, titles),
                ngrams.transform(self.content_vec, contents),
            ]
        return hstack(parts).tocsr()

    def fit(self, docs, level2, level3, weights=None):
        """`docs` are cleaned (title, content) pairs (textprep.title_content); codes may be
        empty where a row says nothing about that level."""
        x = self._matrix(docs, fit=True)
        w = np.ones(len(docs)) if weights is None else np.asarray(weights, dtype=float)
        for scorer, codes in ((self.level2, level2), (self.level3, level3)):
            keep = [i for i, c in enumerate(codes) if c]
            scorer.fit(x[keep], [codes[i] for i in keep], w[keep])
        for vec in (self.title_vec, self.content_vec):
            vec.stop_words_ = None  # the pruned vocabulary: megabytes nobody needs
        return self

    def deeper_many(self, items: list[tuple[str, str, str]]) -> list[tuple[str | None, str | None]]:
        """Level-2 and level-3 codes for (level-1 code, cleaned title, cleaned content) items;
        one feature matrix for the batch, since building it is most of the cost."""
        if not items:
            return []
        x = self._matrix([(title, content) for _level1, title, content in items])
        scores2, scores3 = self.level2.scores(x), self.level3.scores(x)
        nodes = taxonomy.tree()
        out = []
        for i, (level1, title, content) in enumerate(items):
            rule2, rule3 = taxonomy.rule_deeper(level1, title, content)
            level2 = rule2 or self.level2.best_child(scores2[i], level1)
            if level2 is None:
                out.append((None, None))
            elif rule3 and nodes[rule3].parent == level2:
                out.append((level2, rule3))
            else:
                out.append((level2, self.level3.best_child(scores3[i], level2)))
        return out

    def deeper(self, level1: str, title: str, content: str) -> tuple[str | None, str | None]:
        """Level-2 and level-3 codes under the level-1 code for a cleaned title and content."""
        return self.deeper_many([(level1, title, content)])[0]


def path(directory: Path | None = None) -> Path:
    """The model folder's level model, else the one shipped in the package: a deployment whose
    first-level models live elsewhere (ROUTING_MODEL_DIR) keeps the shipped levels."""
    if directory is not None:
        return directory / FILE
    configured = store.store_dir() / FILE
    return configured if configured.exists() else store.PACKAGE_DIR / FILE


def save(model: LevelModel, directory: Path | None = None) -> Path:
    target = path(directory or store.store_dir())
    modelfiles.atomic_write(target, lambda tmp: joblib.dump(model, tmp, compress=3))
    return target


def current() -> LevelModel | None:
    """The level model of the model folder, loaded on first use and again when the file is
    replaced; None where there is none (the rule alone then names levels 2 and 3)."""
    global _loaded
    p = path()
    key = modelfiles.identity(p)
    if _loaded is not None and _loaded[0] == key:
        return _loaded[1]
    with _lock:
        if _loaded is None or _loaded[0] != key:
            _loaded = (key, joblib.load(p) if p.exists() else None)
    return _loaded[1]
