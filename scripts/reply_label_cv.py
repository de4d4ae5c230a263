"""Which training labels make the better reply scorer (docs/labelling-replies.md §7)?

    .venv/bin/python scripts/reply_label_cv.py [--seeds 0,1,2] [--labels adjudicated|guide7]

The held-out truth is `--labels`: "adjudicated" (the 500 `tune` replies read twice and
adjudicated, the other training rows as first read) or "guide7" (all training replies by the
whole guide: `tune` adjudicated, the extra rows read again and adjudicated, the rest of the pool
read once — docs/data/reply_labels_guide7.csv). Folds are drawn over the training replies that
have both a first-reading and a `--labels` label; every candidate is scored out of fold on them
against the `--labels` truth: average precision, and the highest recall whose out-of-fold
precision is at least 0.88 (reply_training's threshold rule). Candidates:

- first: the shipped scorer (reply_model.ReplyScorer) trained on the first reading;
- relabelled: the same scorer trained on the `--labels` labels (with "guide7", every fold's
  training part also gets the pool replies that only it labels);
- relabelled-points: as relabelled, plus the demand's points against the reply
  (reply_points.signals and typed_signals).

Rules set before the run. "adjudicated": adopt it unless worse on both figures (2026-12-07: worse
on both, not adopted). "guide7": a relabelled candidate replaces the shipped scorer if its mean
recall is at least 0.03 above first's and its AP is not lower; relabelled-points only if it also
beats relabelled by 0.03. The frozen `test` rows are never read.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"


def main():
    import django

    django.setup()
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold

    from hotline.screening import reply_points, reply_training
    from hotline.screening.reply_model import ReplyScorer

    class PointsScorer(ReplyScorer):
        def _matrix(self, items, fit=False):
            extra = np.array(
                [reply_points.signals(*it) + reply_points.typed_signals(*it) for it in items],
                dtype=float,
            )
            return hstack([super()._matrix(items, fit), csr_matrix(extra)]).tocsr()

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--labels", default="adjudicated", choices=["adjudicated", "guide7"])
    args = ap.parse_args()
    needed = (
        reply_training.ADJUDICATED if args.labels == "adjudicated" else reply_training.GUIDE7_LABELS
    )
    if not needed.exists():
        sys.exit(f"{needed} is missing (scripts/reply_adjudication.py, reply_training_labels.py)")

    first = reply_training.gold("first")
    final = reply_training.gold(args.labels)
    assert not (set(first) | set(final)) & reply_training._test_ids()
    ids = sorted(set(first) & set(final))
    only = sorted(set(final) - set(first))  # pool replies only the new reading labels
    rows = reply_training.replies()

    def item(i):
        return (reply_training.clean(rows[i]["reply"]), rows[i]["title"], rows[i]["content"])

    items, extra = [item(i) for i in ids], [item(i) for i in only]
    y_first = np.array([first[i][0] for i in ids])
    y_final = np.array([final[i][0] for i in ids])
    y_extra = np.array([final[i][0] for i in only], dtype=bool)
    print(
        f"{len(ids)} scored training replies: send back {y_first.sum()} by the first reading, "
        f"{y_final.sum()} by {args.labels} ({int((y_first != y_final).sum())} differ); "
        f"{len(only)} more only {args.labels} labels ({int(y_extra.sum())} send back)"
    )
    candidates = {
        "first": (ReplyScorer, y_first, False),
        "relabelled": (ReplyScorer, y_final, True),
    }
    if args.labels == "guide7":
        candidates["relabelled-points"] = (PointsScorer, y_final, True)
    results = {name: [] for name in candidates}
    for seed in (int(s) for s in args.seeds.split(",")):
        oof = {name: np.zeros(len(ids)) for name in candidates}
        for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(items, y_final):
            for name, (cls, y, more) in candidates.items():
                train, labels = [items[i] for i in a], y[a]
                if more and extra:
                    train, labels = train + extra, np.concatenate([labels, y_extra])
                oof[name][b] = cls().fit(train, labels).probability([items[i] for i in b])
        for name, p in oof.items():
            _, prec, rec = reply_training.threshold_for(p, y_final)
            results[name].append((average_precision_score(y_final, p), rec, prec))
            print(
                f"seed {seed} {name:<17} AP {results[name][-1][0]:.3f}  recall {rec:.3f} at "
                f"precision {prec:.3f} (>= {reply_training.CV_PRECISION})"
            )
    for name, r in results.items():
        ap_, rec, prec = (float(np.mean(v)) for v in zip(*r, strict=True))
        print(f"mean {name:<17} AP {ap_:.3f}  recall {rec:.3f}  precision {prec:.3f}")


if __name__ == "__main__":
    main()
