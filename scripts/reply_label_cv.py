"""Which training labels make the better reply scorer: the first reading or the adjudicated one?

    .venv/bin/python scripts/reply_label_cv.py [--seeds 0,1,2]

docs/labelling-replies.md §7: the 500 `tune` replies were read a second time and their
disagreements adjudicated (tests/data/labels/replies_adjudicated.csv). The training set is those
500 plus docs/data/reply_labels.csv outside the frozen split (read once). Both candidates train
the shipped scorer (reply_model.ReplyScorer) on the same five folds, one with the tune rows'
first verdicts, one with the adjudicated ones, and both are scored on the held-out fold against
the adjudicated labels, the better truth: average precision, and the highest recall whose
out-of-fold precision is at least 0.88 (the threshold rule of reply_training). The rule set
beforehand: train on the adjudicated labels unless that is worse on both figures. The frozen
`test` rows are never read.
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
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold

    from hotline.screening import reply_training
    from hotline.screening.reply_model import ReplyScorer

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()

    if not reply_training.ADJUDICATED.exists():
        sys.exit(f"{reply_training.ADJUDICATED} is missing: scripts/reply_adjudication.py merge")
    first = reply_training.gold(adjudicated=False)
    final = reply_training.gold(adjudicated=True)
    assert set(first) == set(final) and not set(first) & reply_training._test_ids()
    ids = sorted(first)
    rows = reply_training.replies()
    items = [
        (reply_training.clean(rows[i]["reply"]), rows[i]["title"], rows[i]["content"]) for i in ids
    ]
    y_first = np.array([first[i][0] for i in ids])
    y_final = np.array([final[i][0] for i in ids])
    print(
        f"{len(ids)} training replies: send back {y_first.sum()} by the first reading, "
        f"{y_final.sum()} adjudicated ({int((y_first != y_final).sum())} differ)"
    )
    results = {"first": [], "adjudicated": []}
    for seed in (int(s) for s in args.seeds.split(",")):
        oof = {name: np.zeros(len(ids)) for name in results}
        for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(items, y_final):
            for name, y in (("first", y_first), ("adjudicated", y_final)):
                m = ReplyScorer().fit([items[i] for i in a], y[a])
                oof[name][b] = m.probability([items[i] for i in b])
        for name, p in oof.items():
            _, prec, rec = reply_training.threshold_for(p, y_final)
            results[name].append((average_precision_score(y_final, p), rec, prec))
            print(
                f"seed {seed} trained on {name:<11} AP {results[name][-1][0]:.3f}  recall "
                f"{rec:.3f} at precision {prec:.3f} (>= {reply_training.CV_PRECISION})"
            )
    for name, r in results.items():
        ap_, rec, prec = (float(np.mean(v)) for v in zip(*r, strict=True))
        print(f"mean trained on {name:<11} AP {ap_:.3f}  recall {rec:.3f}  precision {prec:.3f}")


if __name__ == "__main__":
    main()
