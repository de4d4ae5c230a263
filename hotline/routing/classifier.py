"""The first-level classifier: character n-gram TF-IDF of title and content, the category
tree's own words, a linear SVM.

Why this shape (five-fold macro-F1 on the 1,020 labelled messages): one joint character
1–2-gram vectoriser 0.84; separate title and content vectorisers 0.86; plus counts of the
category names' words (keywords.py) 0.88. jieba words alone scored 0.82 and words plus
characters 0.86 at a cost in speed; complement naive Bayes 0.84; self-training on the 9,500
unlabelled messages 0.83–0.84 (they hold labels outside the seven and pull the model off).
Probabilities are a softmax of the SVM scores with one temperature fitted on out-of-fold
scores, so that "confidence 0.9" means about nine in ten right.

C: five-fold CV on the 765 messages outside the frozen split, four shuffles (20 folds),
macro-F1 0.857 at C = 0.5, 0.862 at C = 1, 0.865 at C = 2 on two of them (2026-12-06,
issue 17); fitting all the training vocabularies on the 9,943 unlabelled texts as well scored
0.841. The shuffle-to-shuffle spread is about 0.01: C = 1 is a small gain, not a step.

Third pass (scripts/routing_cv.py, same 765, two shuffles; this shape 0.858): self-training on
the 7,108 unlabelled and voted texts (confidence ≥ 0.90–0.99, weight 0.1–1; `sample_weight`
is there for it) 0.821–0.849, also when the category-name words had to agree; logistic
regression 0.847–0.849; calibrated SVM + LR + complement NB 0.852; + jieba words 0.846–0.852;
per-class score offsets 0.852; no class weights 0.855; title weight 0.7 / 1.4 0.848 / 0.852.
"""

import re
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from . import ngrams
from .keywords import KeywordFeatures
from .textprep import title_content

C = 1.0
TITLE_NGRAMS = (1, 2)
CONTENT_NGRAMS = (1, 2)
# A readable reason is a Chinese n-gram: letters and digits here are mostly the anonymised
# places ("e市") or house numbers, which explain nothing.
_WORDLIKE = re.compile(r"^[\u4e00-\u9fff]{2,}$")


@dataclass
class Prediction:
    labels: list[str]  # every class, most probable first
    probs: list[float]
    reasons: list[str] = field(default_factory=list)  # decisive n-grams for labels[0]

    @property
    def label(self) -> str | None:
        return self.labels[0] if self.labels else None

    @property
    def confidence(self) -> float:
        return self.probs[0] if self.probs else 0.0


def _vectorizers():
    title = TfidfVectorizer(analyzer="char", ngram_range=TITLE_NGRAMS, sublinear_tf=True)
    content = TfidfVectorizer(
        analyzer="char", ngram_range=CONTENT_NGRAMS, sublinear_tf=True, min_df=2
    )
    return title, content


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, y_idx: np.ndarray) -> float:
    """The softmax temperature with the lowest log-loss on out-of-fold scores."""
    best, best_loss = 1.0, np.inf
    for t in np.geomspace(0.25, 32, 60):
        p = _softmax(scores, t)[np.arange(len(y_idx)), y_idx]
        loss = -np.log(np.clip(p, 1e-12, None)).mean()
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


class TextClassifier:
    """Train with `fit`, use with `predict_many`; pickled whole by the store."""

    def __init__(self):
        self.title_vec, self.content_vec = _vectorizers()
        self.keywords = KeywordFeatures()
        self.classes: np.ndarray = np.array([])
        self.coef: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self.intercept: np.ndarray = np.zeros(0, dtype=np.float32)
        self.features: np.ndarray = np.array([])
        self.temperature = 1.0

    # ---- training --------------------------------------------------------------------

    def _matrix(self, docs, fit=False):
        titles = [d[0] for d in docs]
        contents = [d[1] for d in docs]
        if fit:
            parts = [self.title_vec.fit_transform(titles), self.content_vec.fit_transform(contents)]
        else:
            parts = [
                ngrams.transform(self.title_vec, titles),
                ngrams.transform(self.content_vec, contents),
            ]
        keywords = getattr(self, "keywords", None)  # models saved before v2 have none
        if keywords is not None:
            parts.append(keywords.transform(docs))
        return hstack(parts).tocsr()

    def fit(
        self,
        titles: list[str],
        contents: list[str],
        labels: list[str],
        *,
        seed: int = 42,
        sample_weight=None,
    ):
        docs = [title_content(t, c) for t, c in zip(titles, contents, strict=True)]
        y = np.asarray(labels)
        x = self._matrix(docs, fit=True)
        svm = LinearSVC(C=C, class_weight="balanced", random_state=seed)
        svm.fit(x, y, sample_weight=sample_weight)
        self.classes = svm.classes_
        coef = svm.coef_ if len(self.classes) > 2 else np.vstack([-svm.coef_, svm.coef_])
        icpt = (
            svm.intercept_
            if len(self.classes) > 2
            else np.array([-svm.intercept_[0], svm.intercept_[0]])
        )
        self.coef = coef.astype(np.float32)
        self.intercept = icpt.astype(np.float32)
        self.features = np.concatenate(
            [
                self.title_vec.get_feature_names_out(),
                self.content_vec.get_feature_names_out(),
                self.keywords.names,
            ]
        )
        for vec in (self.title_vec, self.content_vec):
            vec.stop_words_ = None  # the pruned vocabulary: megabytes nobody needs
        self.temperature = self._calibrate(x, y, seed, sample_weight)
        return self

    def _calibrate(self, x, y, seed, sample_weight=None) -> float:
        counts = np.unique(y, return_counts=True)[1]
        folds = int(min(5, counts.min()))
        if folds < 2 or len(self.classes) < 2:
            return 3.0  # too little data to fit: a mild default
        scores = np.zeros((x.shape[0], len(self.classes)))
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
            if len(np.unique(y[tr])) < len(self.classes):
                return 3.0
            w = None if sample_weight is None else np.asarray(sample_weight)[tr]
            m = LinearSVC(C=C, class_weight="balanced", random_state=seed)
            m.fit(x[tr], y[tr], sample_weight=w)
            s = m.decision_function(x[te])
            scores[te] = s if s.ndim == 2 else np.column_stack([-s, s])
        index = {c: i for i, c in enumerate(self.classes)}
        return _fit_temperature(scores, np.array([index[v] for v in y]))

    # ---- use -------------------------------------------------------------------------

    def scores(self, docs: list[tuple[str, str]]):
        x = self._matrix(docs)
        return x, np.asarray(x @ self.coef.T) + self.intercept

    def predict_many(
        self, items: list[tuple[str | None, str | None]], *, reasons: int = 5
    ) -> list[Prediction]:
        """Probabilities of every class for each (title, content), with decisive n-grams."""
        if not items:
            return []
        docs = [title_content(t, c) for t, c in items]
        x, s = self.scores(docs)
        probs = _softmax(s, self.temperature)
        out = []
        known = np.diff(x.indptr)  # features per row; `x[i].nnz` made a new matrix per row
        for i in range(len(docs)):
            order = np.argsort(-probs[i])
            words = self._reasons(x, i, order[0], reasons) if reasons and known[i] else []
            if not known[i]:  # nothing the model knows: say so rather than echo the prior
                out.append(Prediction([], [], []))
                continue
            out.append(
                Prediction(
                    [str(self.classes[k]) for k in order],
                    [round(float(probs[i, k]), 4) for k in order],
                    words,
                )
            )
        return out

    def predict(self, title: str | None, content: str | None) -> Prediction:
        return self.predict_many([(title, content)])[0]

    def _reasons(self, x, row: int, k: int, limit: int) -> list[str]:
        start, end = x.indptr[row], x.indptr[row + 1]
        idx, val = x.indices[start:end], x.data[start:end]
        contrib = val * self.coef[k, idx]
        picked: list[str] = []
        for j in np.argsort(-contrib):
            if contrib[j] <= 0 or len(picked) >= limit:
                break
            word = str(self.features[idx[j]])
            # "公交" then "交车": overlapping n-grams of one word say the same thing twice.
            if _WORDLIKE.match(word) and not any(set(word) & set(p) for p in picked):
                picked.append(word)
        return picked
