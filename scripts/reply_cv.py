"""Five-fold CV of reply-scorer candidates on the training replies (never the frozen split).

    .venv/bin/python scripts/reply_cv.py [NAME ...]     (no name: every candidate)
    .venv/bin/python scripts/reply_cv.py --by-sample [NAME]   one candidate (default the shipped
        words-c30) by label sample and, for the pool batches, by category
    .venv/bin/python scripts/reply_cv.py --seeds 3,4,5 NAME ...   other shuffles (confirmation)
    .venv/bin/python scripts/reply_cv.py --guard-relevant [--seeds …] NAME ...   the "done" guard
        only for replies the irrelevant rule does not flag (reply_model.assess since 2026-12-07)
    .venv/bin/python scripts/reply_cv.py [--vectors PATH] words-c30-pre ...   the "*-pre*"
        candidates need synonyms 3.10.2's words.vector (or SYNONYMS_VECTORS=PATH)

Each candidate is refitted per fold; the whole review is replayed on the held-out fold (the
rules' blocks stay flagged, the "done" guard unflags). Printed per candidate, mean of three
shuffles: average precision of the probability; recall at the threshold that maximises recall
with out-of-fold precision >= 0.85 and >= 0.88, and that threshold. docs/benchmarks.md holds the
figures of 2026-12-06; the shipped scorer is reply_model.ReplyScorer (scripts/train_reply_model.py).
The "*-points*" and "*-typed" candidates add the demand set against the reply
(reply_points.signals / typed_signals; figures of 2026-12-07: none reached the pre-set +0.03).
Sixth pass (2026-12-07, none reached the pre-set +0.03 either): "*-emb*" add in-domain word2vec /
FastText features (gensim; fitted once, no label used, on replies.csv and the message files minus
every frozen id, frozen reply text and frozen demand; cached in /tmp/reply_cv_emb), "stack-*"
gradient boosting over the shipped approach's inner out-of-fold score and dense features, "*-mil"
a sentence-level learner pooled per reply, "self-*" self-training on the unlabelled non-frozen
replies, "*-drawn*" / "*-unsure*" re-weighted labels, "blend-*" probability blends.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

DENSE = ("tipdm", "demand", "template")


def _w30(*groups, c=30.0, drawn=1.0, unsure=1.0):
    """The shipped approach (jieba words, C = 30, class-balanced) + the dense groups named."""
    return (groups, False, True, False, 2, c, "balanced", drawn, unsure)


# name: (extra dense groups, standardise dense, jieba words, demand bigrams, char n-gram max, C,
#        class weight)
CANDIDATES = {
    "before": ((), False, False, False, 2, 10.0, "balanced"),
    "scaled": ((), True, False, False, 2, 10.0, "balanced"),
    "scaled-c1": ((), True, False, False, 2, 1.0, "balanced"),
    "tipdm": (("tipdm",), True, False, False, 2, 10.0, "balanced"),
    "dense": (DENSE, True, False, False, 2, 10.0, "balanced"),
    "dense-raw": (DENSE, False, False, False, 2, 10.0, "balanced"),
    "c3": ((), False, False, False, 2, 3.0, "balanced"),
    "c30": ((), False, False, False, 2, 30.0, "balanced"),
    "char13": ((), False, False, False, 3, 10.0, "balanced"),
    "demand-text": ((), False, False, True, 2, 10.0, "balanced"),
    "words": ((), False, True, False, 2, 10.0, "balanced"),
    "words-c30": ((), False, True, False, 2, 30.0, "balanced"),  # shipped
    "words-c30-unweighted": ((), False, True, False, 2, 30.0, None),
    "words-dense": (DENSE, True, True, False, 2, 10.0, "balanced"),
    # + the demand's points against the reply (reply_points.signals): 2026-12-07
    "words-c30-points": (("points",), False, True, False, 2, 30.0, "balanced"),
    "words-c30-missed": (("missed",), False, True, False, 2, 30.0, "balanced"),
    "words-c30-points-nouns": (("points-nouns",), False, True, False, 2, 30.0, "balanced"),
    "words-c30-points-20": (("points-20",), False, True, False, 2, 30.0, "balanced"),
    "words-c30-points-typed": (("points", "typed"), False, True, False, 2, 30.0, "balanced"),
    "words-c30-typed": (("typed",), False, True, False, 2, 30.0, "balanced"),
    "words-c30-points-50": (("points-50",), False, True, False, 2, 30.0, "balanced"),
    # + in-domain word2vec (fit on unlabelled replies and messages minus the frozen split):
    # demand/reply similarities, then also the two mean vectors: 2026-12-07, sixth pass
    "words-c30-emb": _w30("emb"),
    "words-c30-emb-vec": _w30("emb", "embvec"),
    "words-c30-emb-ft": _w30("emb-ft"),
    "words-c30-emb-vec3": _w30("emb", "embvec3"),
    # + the elementwise product of the demand and reply vectors (which topics both carry)
    "words-c30-emb-prod": _w30("emb", "embvec", "embprod"),
    "words-c30-emb-prod30": _w30("emb", "embvec", "embprod30"),
    "words-c30-emb-prod-only": _w30("emb", "embprod"),
    "words-c30-emb-prod-ft": _w30("emb-ft", "embvec-ft", "embprod-ft"),
    "words-c10-emb-prod": _w30("emb", "embvec", "embprod", c=10.0),
    # max- and min-pooled sentence vectors of the reply: "is there any sentence that says X"
    "words-c30-emb-pool": _w30("emb", "embvec", "embpool"),
    "words-c30-emb-prod-pool": _w30("emb", "embvec", "embprod", "embpool"),
    # sentence-level learner (multiple instance): each reply sentence scored, then pooled
    "words-c30-mil": _w30("mil"),
    "words-c30-emb-prod-mil": _w30("emb", "embvec", "embprod", "mil"),
    # training-label treatment: the 两可 (ambiguous) labels weigh 0.3; self-training on the
    # unlabelled replies (never the frozen ones)
    "words-c30-unsure03": _w30(unsure=0.3),
    "self-90": ("self", 0.9, 0.1, 0.5),
    "self-95": ("self", 0.95, 0.05, 1.0),
    "words-c30-emb-vec-ft": _w30("emb-ft", "embvec-ft"),
    # the randomly drawn labels (tune, pool: the replies the review meets) weigh 2x / 4x
    "words-c30-drawn2": _w30(drawn=2.0),
    "words-c30-emb-vec-drawn2": _w30("emb", "embvec", drawn=2.0),
    "words-c30-drawn4": _w30(drawn=4.0),
    # + pretrained general-domain vectors instead (synonyms 3.10.2, Chinese Wikipedia word2vec;
    # --vectors PATH or SYNONYMS_VECTORS): 2026-12-07, seventh pass
    "words-c30-pre": _w30("emb-pre"),
    "words-c30-pre-vec": _w30("emb-pre", "embvec-pre"),
    "words-c30-pre-prod": _w30("emb-pre", "embvec-pre", "embprod-pre"),
    "words-c30-pre-prod-only": _w30("emb-pre", "embprod-pre"),
    "words-c30-pre-pool": _w30("emb-pre", "embvec-pre", "embpool-pre"),
    "words-c30-pre-points": _w30("emb-pre", "points"),
    "words-c30-pre-sims3": _w30("emb3-pre"),
    # the demand's points (reply_points.points) each against its best reply sentence
    "words-c30-pre-pts": _w30("emb-pre", "embpts-pre"),
    "words-c30-pre-pts-only": _w30("embpts-pre"),
    "words-c30-pre-x3": _w30("embx3-pre"),
    "words-c30-pre-pts-points": _w30("emb-pre", "embpts-pre", "points"),
    "words-c10-pre": _w30("emb-pre", c=10.0),
    # embeddings alone (no n-grams), standardised, and its blend with the shipped approach
    "emb-only": (("emb", "embvec"), True, False, False, 0, 1.0, "balanced"),
    "blend-emb": ("blend", "words-c30", "emb-only", 0.3),
    "blend-emb-50": ("blend", "words-c30", "emb-only", 0.5),
}
# Stacking (sixth pass): gradient boosting over the base candidate's out-of-fold score (an inner
# five-fold CV on each training fold) and the dense groups named: interactions a linear model
# cannot make. name: (base candidate, dense groups, learner)
STACKS = {
    "stack-hgb": ("words-c30", ("template", "demand", "tipdm", "points", "typed", "emb"), "hgb"),
    "stack-hgb-small": ("words-c30", ("emb", "points"), "hgb"),
    "stack-hgb-noemb": ("words-c30", ("template", "demand", "tipdm", "points", "typed"), "hgb"),
    "stack-lr": ("words-c30", ("template", "demand", "tipdm", "points", "typed", "emb"), "lr"),
    "stack-hgb-knn": (
        "words-c30",
        ("template", "demand", "tipdm", "points", "typed", "emb", "knn"),
        "hgb",
    ),  # fmt: skip
}


def main(names):
    import django

    django.setup()
    import re

    import numpy as np
    from scipy.sparse import csr_matrix, hstack, vstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from hotline.screening import reply_model as rm
    from hotline.screening import reply_points, reply_training
    from hotline.screening.lexicon import default_terms
    from hotline.screening.matcher import Matcher
    from hotline.screening.reply_review import PLATITUDES, review, substance
    from hotline.text import compact, normalize

    items, y = reply_training.labelled()
    matcher = Matcher(default_terms())
    reviews = [review(*it[:1], title=it[1], content=it[2], matcher=matcher) for it in items]
    block = np.array([r.verdict == "block" for r in reviews])
    done = np.array([bool(rm.DONE.search(substance(r))) for r, _, _ in items])
    if names[:1] == ["--guard-relevant"]:  # the guard only where the reply touches the demand
        names = names[1:]
        done &= np.array([all(x.code != "irrelevant" for x in r.reasons) for r in reviews])
        print(f"done guard where relevant: {int(done.sum())} replies")
    action = re.compile(
        r"经(调查|核实|查|现场)|现场(查看|核查|勘察|检查)|责令|约谈|立案|处罚|罚款|整改|"
        r"已(经)?(修复|恢复|完成|解决|拆除|清理|发放|退还|安排|协调|督促)"
    )
    subs = [substance(r) for r, _, _ in items]
    drawn = np.array([s == "tune" or s.startswith("pool-") for s, _ in reply_training.sources()])
    unsure = np.array(["两可" in _reasons().get(i, "") for i in sorted(reply_training._gold())])

    def demand(r, t, c):
        s = substance(r)
        n = len(compact(c))
        pts = rm.demand_points(normalize(t), c)
        return [np.log1p(len(c)), len(pts), np.log1p(len(s)) - np.log1p(n), float(len(s) < 0.2 * n)]

    def template(r, s):
        return [1 - len(s) / max(len(compact(normalize(r))), 1), sum(p in r for p in PLATITUDES),
                len(action.findall(s)), float(bool(action.search(s))), len(set(s)) / max(len(s), 1),
                float(bool(rm.BASIS.search(s))), float(bool(rm.TIME.search(s))),
                float(bool(rm.NEXT.search(s)))]  # fmt: skip

    dense = {
        "signals": np.array([rm.signals(*it) for it in items]),
        "tipdm": np.array([list(rm.tipdm_scores(*it).as_dict().values()) for it in items]) / 100,
        "demand": np.array([demand(*it) for it in items]),
        "template": np.array([template(it[0], s) for it, s in zip(items, subs, strict=True)]),
        "points": np.array([reply_points.signals(*it) for it in items]),
    }
    dense["missed"] = dense["points"][:, 1:3]  # only the counts of points left out
    for name, kw in (("points-nouns", {"nouns": True}), ("points-20", {"answered": 0.2}),
                     ("points-50", {"answered": 0.5})):  # fmt: skip
        dense[name] = np.array([reply_points.signals(*it, **kw) for it in items])
    dense["typed"] = np.array([reply_points.typed_signals(*it) for it in items])
    wanted = {g for n in (names or SPECS) for g in _groups(n)}
    for kind, suffix in (("w2v", ""), ("ft", "-ft"), ("pre", "-pre")):
        if {
            "emb",
            "embvec",
            "embvec3",
            "embprod",
            "embprod30",
            "embpool",
            "emb3",
            "embpts",
            "embx3",
        } & {g.removesuffix(suffix) for g in wanted}:
            sims, vecs, pools, answered = embedding_features(items, kind)
            dense["embpool" + suffix] = pools
            dense["embpts" + suffix] = answered
            dense["embx3" + suffix] = 3 * sims
            dense["emb" + suffix], dense["embvec" + suffix] = sims, vecs
            dense["embvec3" + suffix] = 3 * vecs
            dense["embprod" + suffix] = vecs[:, :100] * vecs[:, 100:] * 10
            dense["embprod30" + suffix] = vecs[:, :100] * vecs[:, 100:] * 30
            # the brief's three: relevance, and over the demand's sentences the best reply
            # sentence's cosine, min and mean
            dense["emb3" + suffix] = sims[:, [0, 3, 4]]
    words = [rm.words_of(s) for s in subs]
    demands = [compact(normalize(t + "。" + c)) for _, t, c in items]

    base_cache = {}

    def base_score(name, a, b):
        key = (name, a.tobytes(), b.tobytes())
        if key not in base_cache:
            base_cache[key] = fold(CANDIDATES[name], a, b)
        return base_cache[key]

    def knn(a, b, k=10):
        """Similarity-weighted share of send-backs among a reply's k nearest training replies
        (character 1-2-gram TF-IDF of the substance), its top similarity to a send-back and to
        an ok; training replies leave themselves out."""
        v = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        xa = v.fit_transform([subs[i] for i in a])

        def feats(x, self_out):
            sim = (x @ xa.T).toarray()
            if self_out:
                np.fill_diagonal(sim, -1.0)
            top = np.argsort(-sim, axis=1)[:, :k]
            s = np.take_along_axis(sim, top, axis=1).clip(0)
            lab = y[a][top]
            share = (s * lab).sum(1) / np.maximum(s.sum(1), 1e-9)
            pos = np.where(y[a][None, :], sim, -1).max(1)
            neg = np.where(~y[a][None, :], sim, -1).max(1)
            return np.column_stack([share, pos, neg, pos - neg])

        return feats(xa, True), feats(v.transform([subs[i] for i in b]), False)

    sent_lists = [rm.sentences(x)[:40] for x in subs]
    owner = np.array([i for i, ss in enumerate(sent_lists) for _ in ss])
    sent_text = [x for ss in sent_lists for x in ss]
    sent_words = [rm.words_of(x) for x in sent_text] if "mil" in wanted else []
    mil_cache = {}

    def mil_fit(a, b):
        """Per reply of `b`: max, min, mean and share >= 0.5 of its sentences' probabilities,
        from a sentence learner fitted on the sentences of `a` (each inherits its reply's label,
        weighted 1 / its reply's sentence count), and the sentence count."""
        sa, sb = np.isin(owner, a), np.isin(owner, b)
        cv = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        wv = TfidfVectorizer(token_pattern=r"(?u)\S+", sublinear_tf=True, min_df=2)
        ta, tb = [sent_text[i] for i in np.where(sa)[0]], [sent_text[i] for i in np.where(sb)[0]]
        wa, wb = [sent_words[i] for i in np.where(sa)[0]], [sent_words[i] for i in np.where(sb)[0]]
        xa = hstack([cv.fit_transform(ta), wv.fit_transform(wa)]).tocsr()
        xb = hstack([cv.transform(tb), wv.transform(wb)]).tocsr()
        counts = np.bincount(owner, minlength=len(y))
        m = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced")
        m.fit(xa, y[owner[sa]], sample_weight=1.0 / counts[owner[sa]])
        q, ob = m.predict_proba(xb)[:, 1], owner[sb]
        out = np.tile([0.5, 0.5, 0.5, 0.0, 0.0], (len(b), 1))  # a reply with no sentence
        pos = {j: k for k, j in enumerate(b)}
        for j in np.unique(ob):
            v = q[ob == j]
            out[pos[j]] = [v.max(), v.min(), v.mean(), (v >= 0.5).mean(), np.log1p(len(v))]
        return out

    def mil(a, b):
        key = (a.tobytes(), b.tobytes())
        if key not in mil_cache:
            inner = np.zeros((len(a), 5))
            for ia, ib in StratifiedKFold(5, shuffle=True, random_state=0).split(a, y[a]):
                inner[ib] = mil_fit(a[ia], a[ib])
            full = np.zeros((len(y), 5))
            full[a], full[b] = inner, mil_fit(a, b)
            mil_cache[key] = full
        return mil_cache[key]

    if "self" in wanted:
        u_items = unlabelled_replies()
        u_subs = [substance(r) for r, _, _ in u_items]
        d_all = np.vstack([dense["signals"], [rm.signals(*it) for it in u_items]])
        s_all, w_all = subs + u_subs, words + [rm.words_of(x) for x in u_subs]
        print(f"self-training pool: {len(u_items)} unlabelled replies", flush=True)

    def selftrain(spec, a, b):
        """Self-training: the shipped approach fitted on `a` labels the unlabelled replies; those
        it is sure of (p >= hi or <= lo) join `a` with weight w and the learner is refitted."""
        _, hi, lo, w = spec
        ui = np.arange(len(y), len(s_all))
        cv = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        wv = TfidfVectorizer(token_pattern=r"(?u)\S+", sublinear_tf=True, min_df=2)
        cv.fit([s_all[i] for i in a])
        wv.fit([w_all[i] for i in a])
        x = hstack([csr_matrix(d_all), cv.transform(s_all), wv.transform(w_all)]).tocsr()
        lr = lambda: LogisticRegression(C=30.0, max_iter=3000, class_weight="balanced")  # noqa: E731
        pu = lr().fit(x[a], y[a]).predict_proba(x[ui])[:, 1]
        sel = (pu >= hi) | (pu <= lo)
        xs = vstack([x[a], x[ui[sel]]])
        ys = np.concatenate([y[a], pu[sel] >= hi])
        sw = np.concatenate([np.ones(len(a)), np.full(int(sel.sum()), w)])
        return lr().fit(xs, ys, sample_weight=sw).predict_proba(x[b])[:, 1]

    def stack(spec, a, b):
        """Out-of-fold base score on `a` (inner five folds), the base fitted on all of `a` for
        `b`; the second learner is fitted on (logit of that score, dense groups) of `a`."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        base, groups, learner = spec
        inner = np.zeros(len(a))
        for ia, ib in StratifiedKFold(5, shuffle=True, random_state=0).split(a, y[a]):
            inner[ib] = base_score(base, a[ia], a[ib])
        outer = base_score(base, a, b)
        logit = lambda q: np.log(np.clip(q, 1e-4, 1 - 1e-4) / np.clip(1 - q, 1e-4, 1))  # noqa: E731
        d = np.hstack([dense[g] for g in ("signals", *[g for g in groups if g != "knn"])])
        xa, xb = np.column_stack([logit(inner), d[a]]), np.column_stack([logit(outer), d[b]])
        if "knn" in groups:
            ka, kb = knn(a, b)
            xa, xb = np.hstack([xa, ka]), np.hstack([xb, kb])
        if learner == "lr":
            sc = StandardScaler().fit(xa)
            m = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced")
            return m.fit(sc.transform(xa), y[a]).predict_proba(sc.transform(xb))[:, 1]
        m = HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=200, max_leaf_nodes=8, min_samples_leaf=20,
            l2_regularization=1.0, class_weight="balanced", random_state=0,
        )  # fmt: skip
        return m.fit(xa, y[a]).predict_proba(xb)[:, 1]

    def fold(spec, a, b):
        if len(spec) == 3:
            return stack(spec, a, b)
        if spec[0] == "self":
            return selftrain(spec, a, b)
        if spec[0] == "blend":  # the mean of two candidates' probabilities
            return (1 - spec[3]) * base_score(spec[1], a, b) + spec[3] * base_score(spec[2], a, b)
        groups, scale, use_words, use_demand, nmax, c, weight = spec[:7]
        # spec[7]: weight of the randomly drawn labels (tune, pool) against the early samples;
        # spec[8]: weight of the labels the labeller marked 两可 (ambiguous)
        random_weight = spec[7] if len(spec) > 7 else 1.0
        unsure_weight = spec[8] if len(spec) > 8 else 1.0
        d = np.hstack([dense[g] for g in ("signals", *groups) if g != "mil"])
        if "mil" in groups:  # out of fold on `a` (inner folds), fitted on `a` for `b`
            d = np.hstack([d, mil(a, b)])
        if scale:
            d = StandardScaler().fit(d[a]).transform(d)
        blocks = [csr_matrix(d)]
        texts = (
            [(subs, dict(analyzer="char", ngram_range=(1, nmax), min_df=2), 1.0)] if nmax else []
        )
        if use_words:
            texts.append((words, dict(token_pattern=r"(?u)\S+", min_df=2), 1.0))
        if use_demand:
            texts.append((demands, dict(analyzer="char", ngram_range=(2, 2), min_df=3), 0.5))
        for docs, kw, w in texts:
            v = TfidfVectorizer(sublinear_tf=True, **kw).fit([docs[i] for i in a])
            blocks.append(v.transform(docs) * w)
        x = hstack(blocks).tocsr()
        sw = np.where(drawn[a], random_weight, 1.0) * np.where(unsure[a], unsure_weight, 1.0)
        m = LogisticRegression(C=c, max_iter=3000, class_weight=weight)
        return m.fit(x[a], y[a], sample_weight=sw).predict_proba(x[b])[:, 1]

    def best(p, floor):
        found = (0.0, 0.0)
        for t in np.linspace(0.05, 0.95, 181):
            f = block | ((p >= t) & ~done)
            tp = int((f & y).sum())
            prec, rec = tp / max(int(f.sum()), 1), tp / int(y.sum())
            if prec >= floor and rec > found[0]:
                found = (rec, float(t))
        return found

    seeds = (0, 1, 2)
    if names[:1] == ["--seeds"]:
        seeds, names = tuple(int(x) for x in names[1].split(",")), names[2:]
    print(f"{len(y)} training replies, {int(y.sum())} send back")
    if names[:1] == ["--by-sample"]:
        return by_sample(names[1] if names[1:] else "words-c30", fold, block, done, y)
    for name in names or SPECS:
        start, rows = time.time(), []
        for seed in seeds:
            p = np.zeros(len(y))
            with threadpool_limits(1):
                for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(items, y):
                    p[b] = fold(SPECS[name], a, b)
            (r85, _), (r88, t88) = best(p, 0.85), best(p, 0.88)
            rows.append((average_precision_score(y, p), r85, r88, t88))
        ap, r85, r88, t88 = np.mean(rows, axis=0)
        per = " / ".join(f"{r[2]:.3f}" for r in rows)
        print(f"{name:22s} AP {ap:.3f}  recall at P>=0.85 {r85:.3f}  at P>=0.88 {r88:.3f} "
              f"(threshold {t88:.2f}; by shuffle {per})  {time.time() - start:.0f} s",
              flush=True)  # fmt: skip


def _groups(name):
    spec = SPECS.get(name, ((),))
    if spec[0] == "blend":
        return (*_groups(spec[1]), *_groups(spec[2]))
    if spec[0] == "self":
        return ("self",)
    return spec[1] if len(spec) == 3 else spec[0]


def frozen_free_corpus(replies_only=False):
    """Unlabelled texts for the embeddings: the demands and replies of replies.csv and the three
    message files, minus everything of the frozen split — its ids, any reply whose text is a
    frozen reply's, any demand whose title, content or content's first 50 characters is a frozen
    demand's — so not even its unlabelled text reaches the features. `replies_only`: the rows of
    replies.csv that pass, not texts."""
    import csv

    from django.conf import settings

    from hotline.screening import reply_training
    from hotline.text import compact, normalize

    data = Path(settings.DATA_DIR)
    rows = reply_training.replies()
    test = reply_training._test_ids()
    frozen_replies = {reply_training.text_key(rows[i]["reply"]) for i in test}
    key = lambda t: compact(normalize(t or ""))  # noqa: E731
    frozen = set()
    for i in test:
        c = key(rows[i]["content"])
        frozen |= {key(rows[i]["title"]), c, c[:50]}
    frozen.discard("")

    def clear(r):
        c = key(r["content"])
        return r["id"] not in test and not {key(r["title"]), c, c[:50]} & frozen

    kept = [r for r in rows.values()
            if clear(r) and reply_training.text_key(r["reply"]) not in frozen_replies]  # fmt: skip
    if replies_only:
        return kept
    texts = []
    for r in kept:
        texts += [r["title"] + "。" + r["content"], reply_training.clean(r["reply"])]
    for name in ("messages_labeled.csv", "messages_unlabeled.csv", "messages_with_votes.csv"):
        with open(data / name, encoding="utf-8", newline="") as f:
            texts += [r["title"] + "。" + r["content"] for r in csv.DictReader(f) if clear(r)]
    return texts


def unlabelled_replies():
    """(reply, title, content) of the replies.csv rows neither labelled nor frozen (as above)."""
    from hotline.screening import reply_training

    gold = reply_training._gold()
    return [(reply_training.clean(r["reply"]), r["title"], r["content"])
            for r in frozen_free_corpus(replies_only=True) if r["id"] not in gold]  # fmt: skip


def _tokens(text):
    import re

    from hotline.screening.reply_model import words_of
    from hotline.text import normalize

    return [w for w in words_of(normalize(text)).split() if re.search(r"[\w]", w)]


def embedding(kind="w2v"):
    """(keyed vectors, idf) fitted on frozen_free_corpus (no label used), cached under /tmp."""
    import math
    import pickle
    from collections import Counter

    cache = Path("/tmp/reply_cv_emb") / f"{kind}.pkl"
    if kind == "pre":  # the vectors are read each run; only the IDF is cached
        import synonyms_vectors

        index, unit, _raw = synonyms_vectors.load(synonyms_vectors.path_of(VECTORS[0]))
        wv = _Pretrained(index, unit)
        cache = cache.with_name("pre-idf.pkl")
        if not cache.exists():
            docs = [_tokens(t) for t in frozen_free_corpus()]
            df = Counter(w for d in docs for w in set(d))
            idf = {w: math.log(len(docs) / n) + 1 for w, n in df.items()}
            cache.parent.mkdir(exist_ok=True)
            cache.write_bytes(pickle.dumps(idf))
        idf = pickle.loads(cache.read_bytes())
        known = sum(1 for w in idf if w in index)
        print(f"pretrained vectors: {len(index)} words; {known} of the corpus's {len(idf)} words "
              "known", flush=True)  # fmt: skip
        return wv, idf
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    docs = [_tokens(t) for t in frozen_free_corpus()]
    df = Counter(w for d in docs for w in set(d))
    idf = {w: math.log(len(docs) / n) + 1 for w, n in df.items()}
    from gensim.models import FastText, Word2Vec

    # workers=1 and a fixed seed: gensim 4 draws the start vectors from numpy's generator, so a
    # refit gives the same vectors (checked: the figures repeated after the cache was removed)
    kw = dict(vector_size=100, window=5, min_count=3, workers=1, seed=0, epochs=10, sg=1)
    model = FastText(docs, min_n=1, max_n=3, **kw) if kind == "ft" else Word2Vec(docs, **kw)
    cache.parent.mkdir(exist_ok=True)
    found = (model.wv, idf)
    cache.write_bytes(pickle.dumps(found))
    print(f"embeddings {kind}: {len(docs)} texts, {len(model.wv)} words", flush=True)
    return found


class _Pretrained:
    """synonyms 3.10.2's vectors (unit length) behind the few KeyedVectors members used here."""

    def __init__(self, index, unit):
        self.key_to_index, self.unit = index, unit
        self.vector_size = unit.shape[1]

    def __getitem__(self, word):
        return self.unit[self.key_to_index[word]]


VECTORS = [None]  # --vectors PATH, else SYNONYMS_VECTORS (scripts/synonyms_vectors.py)


def embedding_features(items, kind="w2v"):
    """Per item: cosine(demand, reply substance), cosine(title, reply); over the demand's
    sentences the best-matching reply sentence's cosine — max, min, mean; over the reply's
    sentences the best-matching demand sentence's — mean, min. And the two IDF-weighted mean
    vectors (demand, reply)."""
    import numpy as np

    from hotline.screening.reply_model import sentences
    from hotline.screening.reply_review import substance
    from hotline.text import normalize

    wv, idf = embedding(kind)
    dim, top = wv.vector_size, max(idf.values())

    def vec(text):
        acc, wsum = np.zeros(dim), 0.0
        for w in _tokens(text):
            if w in wv.key_to_index or kind == "ft":
                x = idf.get(w, top)
                acc += x * wv[w]
                wsum += x
        n = np.linalg.norm(acc)
        return acc / n if n else acc

    def mat(texts):
        return np.array([vec(t) for t in texts]).reshape(-1, dim)

    from hotline.screening.reply_points import points

    sims, vecs, pools, answered = [], [], [], []
    for reply, title, content in items:
        s = substance(reply)
        d, r, t = vec(title + "。" + content), vec(s), vec(title)
        ds = mat([title, *sentences(normalize(content))[:12]])
        rs = mat(sentences(s)[:40])
        if len(rs):
            m = ds @ rs.T
            best_d, best_r = m.max(1), m.max(0)
            row = [d @ r, t @ r, best_d.max(), best_d.min(), best_d.mean(), best_r.mean(),
                   best_r.min()]  # fmt: skip
        else:
            row = [0.0] * 7
        sims.append(row)
        vecs.append(np.concatenate([d, r]))
        pools.append(np.concatenate([rs.max(0), rs.min(0)]) if len(rs) else np.zeros(2 * dim))
        # the demand's points (reply_points.points: numbered items or asking sentences), each
        # against its best reply sentence: lowest, mean, share under 0.5 and 0.6, count
        ps = mat(points(title, content))
        if len(ps) and len(rs):
            best = (ps @ rs.T).max(1)
            answered.append([best.min(), best.mean(), (best < 0.5).mean(), (best < 0.6).mean(),
                             np.log1p(len(ps))])  # fmt: skip
        else:
            answered.append([0.0, 0.0, 1.0, 1.0, np.log1p(len(ps))])
    return np.array(sims), np.array(vecs), np.array(pools), np.array(answered)


def _reasons():
    """Label reasons by id: the tune rows and docs/data/reply_labels.csv (never the test rows)."""
    import csv

    from hotline.screening import reply_training

    with open(reply_training.EXTRA_LABELS, encoding="utf-8", newline="") as f:
        test = reply_training._test_ids()
        found = {r["id"]: r.get("reason") or "" for r in csv.DictReader(f) if r["id"] not in test}
    with open(reply_training.LABELS, encoding="utf-8", newline="") as f:
        found |= {r["id"]: r["reason"] for r in csv.DictReader(f) if r["split"] == "tune"}
    return found


def by_sample(name, fold, block, done, y):
    """Out-of-fold figures of one candidate per label sample (seed 0, its P >= 0.88 threshold)."""
    import numpy as np
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    from hotline.screening import reply_training

    src = reply_training.sources()
    p = np.zeros(len(y))
    with threadpool_limits(1):
        for a, b in StratifiedKFold(5, shuffle=True, random_state=0).split(src, y):
            p[b] = fold(SPECS[name], a, b)
    ts = [t for t in np.linspace(0.05, 0.95, 181) if _prec(block | ((p >= t) & ~done), y) >= 0.88]
    t = min(ts) if ts else 0.95
    flag = block | ((p >= t) & ~done)
    sample = np.array([s if not s.startswith("pool-") else "pool" for s, _ in src])
    print(f"{name}, threshold {t:.2f}")
    for g in ("tune", "random", "short", "holdout", "pool"):
        m = sample == g
        tp = int((flag & y & m).sum())
        print(f"  {g:8s} n {int(m.sum()):4d}  send back {int(y[m].sum()):3d}  "
              f"AP {average_precision_score(y[m], p[m]):.3f}  precision {_prec(flag[m], y[m]):.3f}  "
              f"recall {tp / max(int(y[m].sum()), 1):.3f}")  # fmt: skip
    for c in sorted({c for s, c in src if s.startswith("pool-") and c != "none"}):
        m = np.array([s.startswith("pool-") and k == c for s, k in src])
        print(f"  pool {c:15s} caught {int((flag & m).sum())} of {int(m.sum())}")


def _prec(flag, y):
    return int((flag & y).sum()) / max(int(flag.sum()), 1)


SPECS = {**CANDIDATES, **STACKS}

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--vectors" in args:
        at = args.index("--vectors")
        VECTORS[0] = args[at + 1]
        del args[at : at + 2]
    main(args)
