"""Train the learned reply scorer (hotline/screening/reply_model.py) and write it to the package.

    .venv/bin/python scripts/train_reply_model.py

Training data and threshold: hotline/screening/reply_training.py (the hand-labelled replies
outside the frozen test split; threshold on five-fold out-of-fold probabilities, three
shuffles: the highest recall whose precision is at least 0.88). The frozen test split is never
read here; scripts/reply_cv.py compares candidate features by the same CV;
bench/bench_screening.py scores it. `hotline retrain replies` adds the reviewers' corrections
and deploys to the model store instead.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")


def main():
    import django

    django.setup()
    import joblib

    from hotline.screening import reply_model, reply_training

    items, y = reply_training.labelled()
    scorer = reply_training.fit(items, y)
    reply_model.MODEL_FILE.parent.mkdir(exist_ok=True)
    joblib.dump(scorer, reply_model.MODEL_FILE, compress=3)
    cv = scorer.cv
    print(f"trained on {cv['n']} replies ({cv['send_back']} send back); threshold "
          f"{scorer.threshold:.2f}; five-fold CV precision {cv['precision']:.3f} "
          f"recall {cv['recall']:.3f} F1 {cv['f1']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
