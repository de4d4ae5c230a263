"""Five-fold cross-validation of first-level dispatch candidates on the training part only.

    .venv/bin/python scripts/routing_cv.py [candidate ...] [--shuffles 2] [--first-shuffle 0]
        [--fraction 0.5] [--vectors PATH] [--speed]

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

The `pre-*` candidates (2026-12-07, docs/benchmarks.md "Pretrained Chinese word vectors") add
features from synonyms 3.10.2's Chinese Wikipedia word2vec (scripts/synonyms_vectors.py; the file
by `--vectors PATH` or SYNONYMS_VECTORS, never in the repo): IDF-weighted mean word vectors of title
and content, and the category names' words with their nearest neighbours (class `Pretrained`).
`--speed` times the shipped classifier with and without the best one's extra work.

The `sub-*` candidates (2026-12-07, docs/benchmarks.md "Dispatch trained on level-2 sub-classes")
use the level-2 hand labels of the 765 (docs/data/level_labels_tune.csv and level_labels_more.csv;
the frozen sample's level_labels.csv is not read): a second LinearSVC over the same features learns
the level-2 sub-classes (those with fewer than `minimum` training rows in the fold fall back to
their level-1 class), and each level-1 class scores its shipped score plus `lam` times its best
sub-class's score (`lam` None: the best sub-class's parent alone).
"""

import argparse
import csv
import os
import sys
import time
from collections import Counter
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
    from scipy.sparse import csr_matrix, diags, hstack
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
    parser.add_argument(
        "--vectors",
        help="synonyms 3.10.2's words.vector for the pre-* candidates (else $SYNONYMS_VECTORS)",
    )
    parser.add_argument("--speed", action="store_true", help="pre-* features: messages/s")
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

    docs = [title_content(t, c) for t, c in zip(titles, contents, strict=True)]
    pre = Pretrained(args.vectors, docs, [title_content(t, c) for t, c in pool])

    def with_vectors(
        tok,
        scale=0.5,
        parts="tc",
        lex=0.0,
        make=None,
        dense_only=False,
        near=(10, 0.6),
        cut=None,
        one_pass=False,
        lex_cut=None,
    ):
        """The shipped features plus the pretrained vectors' IDF-weighted mean of the title's and
        of the content's words (`tok`: jieba, or "ac" the leftmost-longest vocabulary words by
        Aho-Corasick, "acd" only the words the pool has, "acd2" and of two characters or more),
        times `scale`; `cut`: the content's first characters only; `lex`: the category-name
        words' nearest neighbours (`near`: how many, how close) counted per group like
        keywords.py, over the content's first `lex_cut` characters, times `lex`; `one_pass`: the
        lexicon counted on the same tokens. LinearSVC C = 1, balanced, unless `make`."""

        def run(tr, te):
            extra = pre.block(
                tok, scale, parts, lex, near, cut, one_pass, lex_cut
            )  # label-free, the same for every fold
            if dense_only:
                x_tr, x_te = extra[tr], extra[te]
            else:
                model = TextClassifier()
                x_tr = hstack([model._matrix([docs[i] for i in tr], fit=True), extra[tr]]).tocsr()
                x_te = hstack([model._matrix([docs[i] for i in te]), extra[te]]).tocsr()
            est = (make or svm())()
            return list(est.fit(x_tr, y[tr]).predict(x_te))

        return run

    def with_ngram_vectors(scale=0.5, lex=0.1, near=(10, 0.6), bigrams_only=False):
        """As with_vectors, but the words are the shipped model's own title and content
        character 1-2-grams that are words of the vectors: the mean is the TF-IDF row times a
        fixed n-gram -> vector matrix, one sparse product on features already computed (no
        second pass over the text)."""

        def run(tr, te):
            model = TextClassifier()
            x_tr = model._matrix([docs[i] for i in tr], fit=True)
            x_te = model._matrix([docs[i] for i in te])
            dense_tr, dense_te = [], []
            start = 0
            for vec in (model.title_vec, model.content_vec):
                m = pre.ngram_matrix(vec.get_feature_names_out(), bigrams_only)
                end = start + m.shape[0]
                for x, out in ((x_tr, dense_tr), (x_te, dense_te)):
                    d = np.asarray(x[:, start:end] @ m)
                    out.append(d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9))
                start = end
            blocks_tr, blocks_te = (
                [x_tr, np.hstack(dense_tr) * scale],
                [x_te, np.hstack(dense_te) * scale],
            )
            if lex:
                blocks_tr.append(pre.lexicon(*near)[tr] * lex)
                blocks_te.append(pre.lexicon(*near)[te] * lex)
            x_tr = hstack([csr_matrix(b) for b in blocks_tr]).tocsr()
            x_te = hstack([csr_matrix(b) for b in blocks_te]).tocsr()
            return list(svm()().fit(x_tr, y[tr]).predict(x_te))

        return run

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
    for tok in ("jieba", "ac"):
        for scale in (0.3, 0.5, 1.0, 2.0):
            candidates[f"pre-{tok}-{scale}"] = with_vectors(tok, scale)
        candidates[f"pre-{tok}-title-0.5"] = with_vectors(tok, 0.5, parts="t")
        candidates[f"pre-{tok}-content-0.5"] = with_vectors(tok, 0.5, parts="c")
        candidates[f"pre-{tok}-only-lr"] = with_vectors(tok, 1.0, make=lr(10.0), dense_only=True)
        candidates[f"pre-{tok}-lr-0.5"] = with_vectors(tok, 0.5, make=lr(10.0))
        candidates[f"pre-{tok}-0.5-lex-0.2"] = with_vectors(tok, 0.5, lex=0.2)
    for w in (0.05, 0.1, 0.2, 0.5):
        candidates[f"pre-lex-{w}"] = with_vectors("ac", 0.0, lex=w)
    for top, floor in ((5, 0.6), (20, 0.6), (10, 0.5), (10, 0.7), (0, 1.0)):
        candidates[f"pre-lex-0.1-top{top}-{floor}"] = with_vectors(
            "ac", 0.0, lex=0.1, near=(top, floor)
        )
    candidates["pre-ac-0.2"] = with_vectors("ac", 0.2)
    for scale in (0.3, 0.5):
        candidates[f"pre-ac-{scale}-lex-0.1"] = with_vectors("ac", scale, lex=0.1)
    candidates["pre-ac-0.5-lex-0.1-top5"] = with_vectors("ac", 0.5, lex=0.1, near=(5, 0.6))
    candidates["pre-ac-0.5-lex-0.1-top0"] = with_vectors("ac", 0.5, lex=0.1, near=(0, 1.0))
    candidates["pre-jieba-0.3-lex-0.1"] = with_vectors("jieba", 0.3, lex=0.1)
    for scale in (0.3, 0.5, 1.0):
        candidates[f"pre-ng-{scale}-lex-0.1"] = with_ngram_vectors(scale)
        candidates[f"pre-ng2-{scale}-lex-0.1"] = with_ngram_vectors(scale, bigrams_only=True)
    candidates["pre-ng-0.5"] = with_ngram_vectors(0.5, lex=0.0)
    # the pick's cheaper forms: the pool's words only, the content's first characters only
    candidates["pre-acd-0.5-lex-0.1"] = with_vectors("acd", 0.5, lex=0.1)
    for cut in (100, 200, 300):
        candidates[f"pre-acd-0.5-lex-0.1-cut{cut}"] = with_vectors("acd", 0.5, lex=0.1, cut=cut)
    for cut in (200, 400):
        candidates[f"pre-acd-0.5-lex-0.1-cut200-lexcut{cut}"] = with_vectors(
            "acd", 0.5, lex=0.1, cut=200, lex_cut=cut
        )
    # one tokenization for the means and the lexicon; words of two characters or more only
    for tok in ("acd", "acd2"):
        for cut in (200, 1500):
            for lex in (0.1, 0.2):
                candidates[f"pre-{tok}-onepass-cut{cut}-lex-{lex}"] = with_vectors(
                    tok, 0.5, lex=lex, cut=cut, one_pass=True
                )
    sub = sub_classes([e.key.split(":", 1)[1] for e in train], y)

    def with_sub_classes(minimum=3, lam=None):
        def run(tr, te):
            model = TextClassifier().fit([titles[i] for i in tr], [contents[i] for i in tr], y[tr])
            x_tr = model._matrix([docs[i] for i in tr])
            x_te, coarse = model.scores([docs[i] for i in te])
            seen = Counter(sub[tr])
            fine = [
                s if seen[s] >= minimum else label for s, label in zip(sub[tr], y[tr], strict=True)
            ]
            est = svm()().fit(x_tr, fine)
            d = est.decision_function(x_te)
            column = {c: k for k, c in enumerate(model.classes)}
            best = np.full(coarse.shape, -np.inf)
            for j, s in enumerate(est.classes_):
                k = column[s if s in column else parent[s]]
                best[:, k] = np.maximum(best[:, k], d[:, j])
            total = best if lam is None else coarse + lam * best
            return list(model.classes[np.argmax(total, axis=1)])

        return run

    parent = {s: label for s, label in zip(sub, y, strict=True)}
    for minimum in (3, 5, 8):
        candidates[f"sub-{minimum}"] = with_sub_classes(minimum)
        for lam in (0.5, 1.0, 2.0):
            candidates[f"sub-{minimum}-plus-{lam}"] = with_sub_classes(minimum, lam)
    chosen = args.candidates or list(candidates)
    if args.speed:
        for lex_cut in (None, 400):
            pre.speed(TextClassifier, docs, y, pool, lex_cut)
        return None

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
        per = " / ".join(f"{np.mean(scores[k : k + 5]):.3f}" for k in range(0, len(scores), 5))
        print(
            f"{name:<20} macro-F1 {np.mean(scores):.4f} (folds {min(scores):.3f}–"
            f"{max(scores):.3f}; by shuffle {per}), CPU {time.process_time() - started:.0f} s"
            f"{extra}",
            flush=True,
        )
        if args.confusion:
            labels = sorted(set(y))
            print("rows true, columns predicted:", " ".join(labels))
            for label, row in zip(
                labels, confusion_matrix(truth, guess, labels=labels), strict=True
            ):
                print(f"  {label:<8}", " ".join(f"{v:4d}" for v in row))


def sub_classes(ids, y):
    """Each training message's level-2 code from the hand labels (the data set's level-1 label
    where a reader left level 2 empty): every code lies under its message's level-1 label."""
    import numpy as np

    codes = {}
    for name in ("level_labels_tune.csv", "level_labels_more.csv"):
        with open(ROOT / "docs" / "data" / name, encoding="utf-8", newline="") as f:
            codes.update((r["id"], r["level2"]) for r in csv.DictReader(f))
    return np.array([codes.get(i) or label for i, label in zip(ids, y, strict=True)])


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


class Pretrained:
    """The pre-* candidates' features from synonyms 3.10.2's Chinese Wikipedia word2vec
    (scripts/synonyms_vectors.py), loaded on first use; all label-free, so computed once for
    the 765 and the same in every fold. IDF of a word: from the pseudo-label pool's texts (frozen
    ones already left out), the highest for a word the pool never has."""

    def __init__(self, option, docs, pool):
        self.option, self.docs, self.pool = option, docs, pool
        self.cache = {}

    def _load(self):
        if "index" not in self.cache:
            import synonyms_vectors

            index, unit, _raw = synonyms_vectors.load(synonyms_vectors.path_of(self.option))
            self.cache.update(index=index, unit=unit)
            print(f"pretrained vectors: {len(index)} words x {unit.shape[1]}", flush=True)
        return self.cache["index"], self.cache["unit"]

    def automaton(self, domain=False, shortest=1):
        """The vocabulary's all-Chinese words, for leftmost-longest matching (like jieba's
        dictionary pass, without its graph and HMM). `domain`: only the words the pool's texts
        have (about 25,000 of 125,796): a smaller automaton, faster to run."""
        key = ("ac", domain, shortest)
        if key not in self.cache:
            import re

            import ahocorasick

            index, _unit = self._load()
            keep = None
            if domain:
                full = self.automaton()
                keep = {i for t, c in self.pool for s in (t, c) if s for _e, i in full.iter_long(s)}
            found = ahocorasick.Automaton()
            han = re.compile(r"^[\u4e00-\u9fff]+$")
            for w, i in index.items():
                if han.match(w) and len(w) >= shortest and (keep is None or i in keep):
                    found.add_word(w, i)
            found.make_automaton()
            self.cache[key] = found
        return self.cache[key]

    def rows(self, tok, text):
        """Vocabulary rows of the text's words."""
        index, _unit = self._load()
        if tok in ("ac", "acd", "acd2"):
            auto = self.automaton(domain=tok != "ac", shortest=2 if tok == "acd2" else 1)
            return [i for _end, i in auto.iter_long(text)] if text else []
        import jieba

        jieba.setLogLevel(60)
        return [index[w] for w in jieba.lcut(text) if w in index]

    def idf(self, tok):
        import numpy as np

        key = ("idf", tok)
        if key not in self.cache:
            index, _unit = self._load()
            df = np.zeros(len(index))
            for t, c in self.pool:
                df[list(set(self.rows(tok, t) + self.rows(tok, c)))] += 1
            self.cache[key] = (np.log((1 + len(self.pool)) / (1 + df)) + 1).astype(np.float32)
        return self.cache[key]

    def mean(self, tok, texts, with_counts=False):
        """Per text the IDF-weighted mean of its words' unit vectors, of unit length (zero when
        no word is known); `with_counts`: and the (texts x vocabulary) counts of its words."""
        import numpy as np
        from scipy.sparse import csr_matrix

        index, unit = self._load()
        idf = self.idf(tok)
        cols, ptr = [], [0]
        for text in texts:
            cols += self.rows(tok, text)
            ptr.append(len(cols))
        cols = np.array(cols, dtype=np.int64)
        w = csr_matrix((idf[cols], cols, np.array(ptr)), shape=(len(texts), len(index)))
        m = np.asarray(w @ unit)
        m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
        if not with_counts:
            return m
        return m, csr_matrix((np.ones(len(cols)), cols, np.array(ptr)), shape=w.shape)

    def one_pass(self, tok, docs, cut=200, top=10, floor=0.6):
        """The cheap form: one tokenization of the title and of the content's first `cut`
        characters gives both means and the expanded lexicon's counts (a word counts when it is
        a token, title x 2, log1p), so no second pass over the text."""

        vt, ct = self.mean(tok, [t for t, _c in docs], with_counts=True)
        vc, cc = self.mean(tok, [c[:cut] for _t, c in docs], with_counts=True)
        lex = (2 * ct + cc) @ self.lexicon_matrix(top, floor)
        return vt, vc, lex.log1p()

    def lexicon_matrix(self, top=10, floor=0.6):
        """Vocabulary row -> the expanded lexicon's groups, a 0/1 matrix."""
        key = ("lexicon-matrix", top, floor)
        if key not in self.cache:
            import numpy as np
            from scipy.sparse import csr_matrix

            index, _unit = self._load()
            found, size = self.lexicon_words(top, floor)
            r = [index[w] for w, t in found.items() for _ in t]
            c = [g for _w, t in found.items() for g in sorted(t)]
            self.cache[key] = csr_matrix((np.ones(len(r)), (r, c)), shape=(len(index), size))
        return self.cache[key]

    def ngram_matrix(self, names, bigrams_only=False):
        """Feature names (character n-grams) -> their unit vectors, zero rows for the n-grams
        that are no word of the vectors (or single characters when `bigrams_only`)."""
        import numpy as np

        index, unit = self._load()
        m = np.zeros((len(names), unit.shape[1]), dtype=np.float32)
        for k, g in enumerate(names):
            if g in index and not (bigrams_only and len(g) < 2):
                m[k] = unit[index[g]]
        return m

    def means(self, tok, cut=None):
        """Title and content means of the 765; `cut`: of the content's first `cut` characters."""
        key = ("means", tok, cut)
        if key not in self.cache:
            self.cache[key] = (self.mean(tok, [t for t, _c in self.docs]),
                               self.mean(tok, [c[:cut] for _t, c in self.docs]))  # fmt: skip
        return self.cache[key]

    def lexicon_words(self, top=10, floor=0.6):
        """The category tree's words (keywords.py's groups) split by jieba, each known part and
        its nearest neighbours in the vectors (cosine >= floor, at most `top`): word -> groups.
        A part shared by two level-1 groups' names (管理, 服务 …) is no evidence and is dropped."""
        import re

        import jieba
        import numpy as np

        from hotline.routing import taxonomy

        index, unit = self._load()
        words = list(index)
        nodes = taxonomy.tree()
        groups = sorted(n.code for n in nodes.values() if n.level in (1, 2))
        position = {code: i for i, code in enumerate(groups)}
        parts, level1 = {}, {}
        for n in nodes.values():
            path = taxonomy.path(n.code)
            targets = {position[path[0]]} | ({position[path[1]]} if len(path) > 1 else set())
            for k in n.keywords:
                for w in {k, *jieba.lcut(k)}:
                    if len(w) >= 2 and w in index:
                        parts.setdefault(w, set()).update(targets)
                        level1.setdefault(w, set()).add(path[0])
        parts = {w: t for w, t in parts.items() if len(level1[w]) == 1}
        han = re.compile(r"^[\u4e00-\u9fff]{2,}$")
        found = {w: set(t) for w, t in parts.items()}
        names = list(parts)
        sims = unit[[index[w] for w in names]] @ unit.T
        for w, row in zip(names, sims, strict=True):
            for j in np.argsort(-row)[1 : top + 1]:
                if row[j] >= floor and han.match(words[j]):
                    found.setdefault(words[j], set()).update(parts[w])
        return found, len(groups)

    def lexicon_automaton(self, top=10, floor=0.6):
        """(automaton word -> its word's number, words x groups 0/1 matrix)."""
        key = ("lexicon-ac", top, floor)
        if key not in self.cache:
            import ahocorasick
            import numpy as np
            from scipy.sparse import csr_matrix

            found, size = self.lexicon_words(top, floor)
            auto = ahocorasick.Automaton()
            rows, cols = [], []
            for k, (w, t) in enumerate(found.items()):
                auto.add_word(w, k)
                rows += [k] * len(t)
                cols += sorted(t)
            auto.make_automaton()
            groups = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(found), size))
            print(
                f"expanded lexicon (top {top}, cosine >= {floor}): {len(found)} words", flush=True
            )
            self.cache[key] = (auto, groups)
        return self.cache[key]

    def lexicon_counts(self, docs, top=10, floor=0.6):
        """Counts of the expanded lexicon's words per group (every occurrence, overlapping ones
        too; title x 2), log1p, as keywords.py: word hits per text, then one product with the
        words' groups."""
        import numpy as np
        from scipy.sparse import csr_matrix

        auto, groups = self.lexicon_automaton(top, floor)
        per_text = []
        for part in (0, 1):
            rows, cols = [], []
            for k, doc in enumerate(docs):
                if doc[part]:
                    found = [v for _e, v in auto.iter(doc[part])]
                    cols += found
                    rows += [k] * len(found)
            shape = (len(docs), groups.shape[0])
            per_text.append(csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape))
        counts = ((2 * per_text[0] + per_text[1]) @ groups).toarray()
        return csr_matrix(np.log1p(counts))

    def lexicon(self, top=10, floor=0.6, cut=None):
        key = ("lexicon", top, floor, cut)
        if key not in self.cache:
            docs = [(t, c[:cut]) for t, c in self.docs]
            self.cache[key] = self.lexicon_counts(docs, top, floor)
        return self.cache[key]

    def block(self, tok, scale, parts, lex, near=(10, 0.6), cut=None, one_pass=False, lex_cut=None):
        from scipy.sparse import csr_matrix, hstack

        if one_pass:
            key = ("one-pass", tok, cut, near)
            if key not in self.cache:
                self.cache[key] = self.one_pass(tok, self.docs, cut, *near)
            vt, vc, counts = self.cache[key]
            return hstack([csr_matrix(vt * scale), csr_matrix(vc * scale), counts * lex]).tocsr()
        blocks = []
        if scale:
            vt, vc = self.means(tok, cut)
            blocks += [csr_matrix(v * scale) for p, v in (("t", vt), ("c", vc)) if p in parts]
        if lex:
            blocks.append(self.lexicon(*near, lex_cut) * lex)
        return hstack(blocks).tocsr()

    def speed(self, classifier, docs, y, pool, lex_cut=None):
        """CPU messages/s over the pool's first 2,801 texts (the unlabelled file) in batches of
        256, one thread, as bench/bench_routing.py's batch figure (predict_many with reasons):
        the shipped classifier alone, and with the pick's extra work done beside it (title and
        content[:200] means by the pool-word automaton, the expanded lexicon's own pass, their
        scores) — an upper bound, a shipped form would count the lexicon in keywords.py's pass.
        Vectors, automata and IDF are built before the clock starts."""
        import time

        import numpy as np
        from scipy.sparse import hstack

        model = classifier().fit([t for t, _c in docs], [c for _t, c in docs], y)
        items = pool[:2801]
        self.idf("acd")
        self.lexicon_automaton()
        rng = np.random.default_rng(0)
        coef = rng.normal(size=(len(model.classes), 200 + model.keywords.size))
        for extra in (False, True, False, True):
            started = time.process_time()
            for i in range(0, len(items), 256):
                batch = items[i : i + 256]
                model.predict_many(batch)
                if not extra:
                    continue
                d = [title_content_of(t, c) for t, c in batch]
                dense = np.hstack([self.mean("acd", [a for a, _b in d]),
                                   self.mean("acd", [b[:200] for _a, b in d])])  # fmt: skip
                lex = self.lexicon_counts([(a, b[:lex_cut]) for a, b in d])
                _scores = hstack([dense * 0.5, lex * 0.1]).tocsr() @ coef.T
            spent = time.process_time() - started
            name = f"shipped + pick (lexicon over content[:{lex_cut}])" if extra else "shipped"
            print(f"{name:15s} {len(items) / spent:,.0f} messages/s CPU", flush=True)


def title_content_of(title, content):
    from hotline.routing.textprep import title_content

    return title_content(title, content)


HAND_LABELS = ROOT / "docs" / "data" / "routing_labels.csv"

if __name__ == "__main__":
    main()
