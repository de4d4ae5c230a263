"""Five-fold cross-validation of first-level dispatch candidates on the training part only.

    .venv/bin/python scripts/routing_cv.py [candidate ...] [--shuffles 2] [--first-shuffle 0]
        [--fraction 0.5]

`--fraction` keeps that stratified share of every fold's training part (the held-out fold
whole): a point of the learning curve.

Reads the 765 labelled messages outside the frozen test split (`hotline/routing/frozen.py`);
the 255 frozen messages are dropped before anything else and never read here, nor are
unlabelled texts equal to one of them used for pseudo-labels. Each candidate is fitted per
fold on the fold's training part (vocabularies, pseudo-label teachers, calibration included)
and scored on the held-out fold; the figure is the mean macro-F1 over all folds of all
shuffles. `bench/bench_routing.py` scores the shipped model on the frozen split, once.

The `hand-*` candidates add the hand labels of `docs/data/routing_labels.csv` (pool messages
read by docs/labelling-routing.md; 其他 and any row whose text or title equals a labelled
message's are left out) to every fold's training part only: each fold is still scored on the
data set's own held-out messages, so the figure stays comparable with the baseline's.
"""

import argparse
import csv
import os
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")


def main():
    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from scipy.sparse import diags, hstack
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import confusion_matrix, f1_score
    from sklearn.model_selection import StratifiedKFold, train_test_split
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    from hotline.routing import frozen, training
    from hotline.routing.classifier import TextClassifier
    from hotline.routing.textprep import title_content

    parser = argparse.ArgumentParser()
    parser.add_argument("candidates", nargs="*")
    parser.add_argument("--shuffles", type=int, default=2)
    parser.add_argument(
        "--first-shuffle", type=int, default=0, help="confirm a pick on shuffles not chosen on"
    )
    parser.add_argument("--confusion", action="store_true")
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()

    train, _valid = training.split(training.seed_examples())  # the frozen part is dropped here
    titles = [e.title for e in train]
    contents = [e.content for e in train]
    y = np.array([e.label for e in train])
    pool = []
    for name in ("messages_unlabeled.csv", "messages_with_votes.csv"):
        with open(Path(settings.DATA_DIR) / name, encoding="utf-8", newline="") as f:
            pool += [
                (r["title"], r["content"])
                for r in csv.DictReader(f)
                if not frozen.text_is_frozen(r["content"])
            ]
    print(f"training part {len(train)} messages; pseudo-label pool {len(pool)} texts")
    hand = hand_labels(Path(settings.DATA_DIR), frozen)
    print(f"hand labels (docs/data/routing_labels.csv, 其他 left out) {len(hand)}")

    def baseline(tr, te, **kw):
        m = TextClassifier().fit([titles[i] for i in tr], [contents[i] for i in tr], y[tr], **kw)
        return [p.label for p in m.predict_many([(titles[i], contents[i]) for i in te], reasons=0)]

    def self_training(threshold, weight):
        def run(tr, te, keep=lambda j, label: True):
            teacher = TextClassifier().fit(
                [titles[i] for i in tr], [contents[i] for i in tr], y[tr]
            )
            preds = teacher.predict_many(pool, reasons=0)
            picked = [
                (pool[j], p.label)
                for j, p in enumerate(preds)
                if p.label and p.confidence >= threshold and keep(j, p.label)
            ]
            student = TextClassifier().fit(
                [titles[i] for i in tr] + [t for (t, _c), _ in picked],
                [contents[i] for i in tr] + [c for (_t, c), _ in picked],
                list(y[tr]) + [label for _, label in picked],
                sample_weight=np.r_[np.ones(len(tr)), np.full(len(picked), weight)],
            )
            run.added.append(len(picked))
            return [
                p.label
                for p in student.predict_many([(titles[i], contents[i]) for i in te], reasons=0)
            ]

        run.added = []
        return run

    def with_hand_labels(weight, balanced=False, only=None):
        """Hand-labelled pool messages join every fold's training part (never its held-out
        part, which stays the data set's own labelled messages), at `weight`. `balanced`
        rescales them per class so that their class shares match the training part's (the
        pool is 40 % 城乡建设, the labelled set 22 %); `only` keeps those of some classes."""
        rows = [h for h in hand if only is None or h[2] in only]

        def run(tr, te):
            w = np.full(len(rows), weight)
            if balanced:
                labels, counts = np.unique([lab for *_, lab in rows], return_counts=True)
                share_hand = dict(zip(labels, counts / len(rows), strict=True))
                share_train = {c: np.mean(y[tr] == c) for c in labels}
                w *= [share_train[lab] / share_hand[lab] for *_, lab in rows]
            model = TextClassifier().fit(
                [titles[i] for i in tr] + [t for t, _c, _l in rows],
                [contents[i] for i in tr] + [c for _t, c, _l in rows],
                list(y[tr]) + [label for _t, _c, label in rows],
                sample_weight=np.r_[np.ones(len(tr)), w],
            )
            return [
                p.label
                for p in model.predict_many([(titles[i], contents[i]) for i in te], reasons=0)
            ]

        return run

    def on_matrix(make, words=False, title_scale=1.0):
        """The shipped features (title and content character n-grams, category-name words),
        optionally jieba word 1–2-grams, under another estimator `make()` with
        `fit`/`predict`."""

        def run(tr, te):
            model = TextClassifier()
            docs = [title_content(titles[i], contents[i]) for i in range(len(y))]
            x_tr = model._matrix([docs[i] for i in tr], fit=True)
            x_te = model._matrix([docs[i] for i in te])
            if title_scale != 1.0:
                scale = np.ones(x_tr.shape[1])
                scale[: len(model.title_vec.vocabulary_)] = title_scale
                x_tr, x_te = x_tr @ diags(scale), x_te @ diags(scale)
            if words:
                vec = TfidfVectorizer(
                    analyzer=str.split, sublinear_tf=True, min_df=2, token_pattern=None
                )
                x_tr = hstack([x_tr, vec.fit_transform([tokens[i] for i in tr])]).tocsr()
                x_te = hstack([x_te, vec.transform([tokens[i] for i in te])]).tocsr()
            return list(make().fit(x_tr, y[tr]).predict(x_te))

        return run

    class Ensemble:
        """Mean of calibrated probabilities: SVM (sigmoid), logistic regression, complement NB."""

        def __init__(self, members):
            self.members = members

        def fit(self, x, labels):
            for m in self.members:
                m.fit(x, labels)
            self.classes_ = self.members[0].classes_
            return self

        def predict(self, x):
            probs = sum(m.predict_proba(x) for m in self.members)
            return self.classes_[np.argmax(probs, axis=1)]

    def svm(weight="balanced", c=1.0):
        return lambda: LinearSVC(C=c, class_weight=weight)

    def lr(c=10.0):
        return lambda: LogisticRegression(C=c, class_weight="balanced", max_iter=2000)

    def ensemble(with_nb=True):
        def make():
            members = [
                CalibratedClassifierCV(LinearSVC(C=1.0, class_weight="balanced"), cv=3),
                LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000),
            ]
            if with_nb:
                members.append(ComplementNB(alpha=0.3))
            return Ensemble(members)

        return make

    def offsets(oof, idx):
        """Per-class additions to the scores, by coordinate ascent on macro-F1 of the inner
        out-of-fold scores (three rounds): a class that absorbs the others is pushed down."""
        bias = np.zeros(oof.shape[1])
        for _ in range(3):
            for k in range(oof.shape[1]):
                best, best_f1 = bias[k], -1.0
                for v in np.linspace(-0.6, 0.6, 25):
                    bias[k] = v
                    f1 = f1_score(idx, np.argmax(oof + bias, axis=1), average="macro")
                    if f1 > best_f1 + 1e-9:
                        best, best_f1 = v, f1
                bias[k] = best
        return bias

    def with_offsets(tr, te):
        model = TextClassifier().fit([titles[i] for i in tr], [contents[i] for i in tr], y[tr])
        x = model._matrix([title_content(titles[i], contents[i]) for i in tr])
        oof = np.zeros((len(tr), len(model.classes)))
        inner = StratifiedKFold(5, shuffle=True, random_state=42)
        for a, b in inner.split(np.zeros(len(tr)), y[tr]):
            m = LinearSVC(C=1.0, class_weight="balanced", random_state=42).fit(x[a], y[tr][a])
            oof[b] = m.decision_function(x[b])
        index = {c: i for i, c in enumerate(model.classes)}
        bias = offsets(oof, np.array([index[v] for v in y[tr]]))
        _x, scores = model.scores([title_content(titles[i], contents[i]) for i in te])
        return list(model.classes[np.argmax(scores + bias, axis=1)])

    def lexicon_agreeing(threshold, weight):
        """Self-training keeping only pseudo-labels that the category-name words agree with:
        the level-1 group with the most name-word hits is the predicted label."""
        base = self_training(threshold, weight)
        kw = TextClassifier().keywords
        column = {}
        for j, n in enumerate(kw.names):  # a level-1 code sorts before its level-2 codes
            column.setdefault(str(n)[2:], j)
        counts = kw.transform([title_content(t, c) for t, c in pool]).toarray()

        def run(tr, te):
            labels = sorted(set(y))
            cols = [column[label] for label in labels]
            hits = counts[:, cols]
            top = np.array(labels)[np.argmax(hits, axis=1)]
            clear = (hits.max(axis=1) > 0) & ((hits == hits.max(axis=1, keepdims=True)).sum(1) == 1)
            return base(tr, te, keep=lambda j, label: clear[j] and top[j] == label)

        run.added = base.added
        return run

    tokens = []
    if any("words" in c for c in args.candidates):
        import jieba

        jieba.setLogLevel(60)
        tokens = [
            " ".join(w for w in jieba.lcut(t + " " + c) if w.strip())
            for t, c in (title_content(a, b) for a, b in zip(titles, contents, strict=True))
        ]

    candidates = {
        "baseline": baseline,
        "svm-unweighted": on_matrix(svm(None)),
        "svm-balanced": on_matrix(svm()),
        "title-0.7": on_matrix(svm(), title_scale=0.7),
        "title-1.4": on_matrix(svm(), title_scale=1.4),
        "lr-10": on_matrix(lr(10.0)),
        "lr-30": on_matrix(lr(30.0)),
        "ensemble": on_matrix(ensemble()),
        "ensemble-no-nb": on_matrix(ensemble(False)),
        "svm+words": on_matrix(svm(), words=True),
        "ensemble+words": on_matrix(ensemble(), words=True),
    }
    candidates["offsets"] = with_offsets
    for weight in (0.3, 0.5, 1.0):
        candidates[f"hand-{weight}"] = with_hand_labels(weight)
        candidates[f"hand-balanced-{weight}"] = with_hand_labels(weight, balanced=True)
    candidates["hand-not-城乡建设-1.0"] = with_hand_labels(
        1.0, only={"交通运输", "劳动和社会保障", "卫生计生", "商贸旅游", "教育文体", "环境保护"}
    )
    for threshold in (0.9, 0.95, 0.98, 0.99):
        for weight in (0.1, 0.3, 1.0):
            candidates[f"self-{threshold}-{weight}"] = self_training(threshold, weight)
            candidates[f"lexicon-{threshold}-{weight}"] = lexicon_agreeing(threshold, weight)
    chosen = args.candidates or list(candidates)

    for name in chosen:
        run = candidates[name]
        started = time.process_time()
        scores, truth, guess = [], [], []
        for shuffle in range(args.first_shuffle, args.first_shuffle + args.shuffles):
            folds = StratifiedKFold(5, shuffle=True, random_state=shuffle)
            for tr, te in folds.split(np.zeros(len(y)), y):
                if args.fraction < 1.0:
                    tr, _rest = train_test_split(
                        tr, train_size=args.fraction, stratify=y[tr], random_state=100 + shuffle
                    )
                p = run(tr, te)
                scores.append(f1_score(y[te], p, average="macro"))
                truth += list(y[te])
                guess += list(p)
        added = getattr(run, "added", [])
        extra = f"; pseudo-labels per fold {int(np.mean(added))}" if added else ""
        print(
            f"{name:<20} macro-F1 {np.mean(scores):.4f} (folds {min(scores):.3f}–"
            f"{max(scores):.3f}), CPU {time.process_time() - started:.0f} s{extra}",
            flush=True,
        )
        if args.confusion:
            labels = sorted(set(y))
            print("rows true, columns predicted:", " ".join(labels))
            for label, row in zip(
                labels, confusion_matrix(truth, guess, labels=labels), strict=True
            ):
                print(f"  {label:<8}", " ".join(f"{v:4d}" for v in row))


def hand_labels(data_dir, frozen):
    """(title, content, label) of the hand labels outside 其他, read from the pool by id.

    A pool row whose normalised content or title equals a labelled message's (training or
    frozen) is dropped: it would put a held-out fold's text, or the frozen split's, into training.
    """
    from hotline.text import compact, normalize

    with open(HAND_LABELS, encoding="utf-8", newline="") as f:
        labels = {r["id"]: r["label"] for r in csv.DictReader(f) if r["label"] != "其他"}
    with open(data_dir / "messages_labeled.csv", encoding="utf-8", newline="") as f:
        seen = list(csv.DictReader(f))
    texts = {frozen.text_key(r["content"]) for r in seen}
    heads = {compact(normalize(r["title"])) for r in seen}
    with open(data_dir / "messages_unlabeled.csv", encoding="utf-8", newline="") as f:
        return [
            (r["title"], r["content"], labels[r["id"]])
            for r in csv.DictReader(f)
            if r["id"] in labels
            and frozen.text_key(r["content"]) not in texts
            and compact(normalize(r["title"])) not in heads
        ]


HAND_LABELS = ROOT / "docs" / "data" / "routing_labels.csv"

if __name__ == "__main__":
    main()
