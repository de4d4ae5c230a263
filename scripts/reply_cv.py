"""Five-fold CV of reply-scorer candidates on the training replies (never the frozen split).

    .venv/bin/python scripts/reply_cv.py [NAME ...]     (no name: every candidate)
    .venv/bin/python scripts/reply_cv.py --by-sample [NAME]   one candidate (default the shipped
        words-c30) by label sample and, for the pool batches, by category

Each candidate is refitted per fold; the whole review is replayed on the held-out fold (the
rules' blocks stay flagged, the "done" guard unflags). Printed per candidate, mean of three
shuffles: average precision of the probability; recall at the threshold that maximises recall
with out-of-fold precision >= 0.85 and >= 0.88, and that threshold. docs/benchmarks.md holds the
figures of 2026-12-06; the shipped scorer is reply_model.ReplyScorer (scripts/train_reply_model.py).
The "*-points*" and "*-typed" candidates add the demand set against the reply
(reply_points.signals / typed_signals; figures of 2026-12-07: none reached the pre-set +0.03).
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

DENSE = ("tipdm", "demand", "template")
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
}


def main(names):
    import django

    django.setup()
    import re

    import numpy as np
    from scipy.sparse import csr_matrix, hstack
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
    block = np.array([review(*it[:1], title=it[1], content=it[2], matcher=matcher).verdict
                      == "block" for it in items])  # fmt: skip
    done = np.array([bool(rm.DONE.search(substance(r))) for r, _, _ in items])
    action = re.compile(
        r"经(调查|核实|查|现场)|现场(查看|核查|勘察|检查)|责令|约谈|立案|处罚|罚款|整改|"
        r"已(经)?(修复|恢复|完成|解决|拆除|清理|发放|退还|安排|协调|督促)"
    )
    subs = [substance(r) for r, _, _ in items]

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
    words = [rm.words_of(s) for s in subs]
    demands = [compact(normalize(t + "。" + c)) for _, t, c in items]

    def fold(spec, a, b):
        groups, scale, use_words, use_demand, nmax, c, weight = spec
        d = np.hstack([dense[g] for g in ("signals", *groups)])
        if scale:
            d = StandardScaler().fit(d[a]).transform(d)
        blocks = [csr_matrix(d)]
        texts = [(subs, dict(analyzer="char", ngram_range=(1, nmax), min_df=2), 1.0)]
        if use_words:
            texts.append((words, dict(token_pattern=r"(?u)\S+", min_df=2), 1.0))
        if use_demand:
            texts.append((demands, dict(analyzer="char", ngram_range=(2, 2), min_df=3), 0.5))
        for docs, kw, w in texts:
            v = TfidfVectorizer(sublinear_tf=True, **kw).fit([docs[i] for i in a])
            blocks.append(v.transform(docs) * w)
        x = hstack(blocks).tocsr()
        m = LogisticRegression(C=c, max_iter=3000, class_weight=weight).fit(x[a], y[a])
        return m.predict_proba(x[b])[:, 1]

    def best(p, floor):
        found = (0.0, 0.0)
        for t in np.linspace(0.05, 0.95, 181):
            f = block | ((p >= t) & ~done)
            tp = int((f & y).sum())
            prec, rec = tp / max(int(f.sum()), 1), tp / int(y.sum())
            if prec >= floor and rec > found[0]:
                found = (rec, float(t))
        return found

    print(f"{len(y)} training replies, {int(y.sum())} send back")
    if names[:1] == ["--by-sample"]:
        return by_sample(names[1] if names[1:] else "words-c30", fold, block, done, y)
    for name in names or CANDIDATES:
        start, rows = time.time(), []
        for seed in (0, 1, 2):
            p = np.zeros(len(y))
            with threadpool_limits(1):
                for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(items, y):
                    p[b] = fold(CANDIDATES[name], a, b)
            (r85, _), (r88, t88) = best(p, 0.85), best(p, 0.88)
            rows.append((average_precision_score(y, p), r85, r88, t88))
        ap, r85, r88, t88 = np.mean(rows, axis=0)
        print(f"{name:22s} AP {ap:.3f}  recall at P>=0.85 {r85:.3f}  at P>=0.88 {r88:.3f} "
              f"(threshold {t88:.2f})  {time.time() - start:.0f} s", flush=True)  # fmt: skip


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
            p[b] = fold(CANDIDATES[name], a, b)
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


if __name__ == "__main__":
    main(sys.argv[1:])
