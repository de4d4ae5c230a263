"""The frozen routing test split and honest figures on it.

`data/frozen_test_ids.csv` lists 255 ids of `messages_labeled.csv` (25 %, stratified by label,
`train_test_split(random_state=2026)`), chosen on 2026-12-06 before any tuning. No rule,
threshold or model is fitted on them: training drops them (`training.split`), cross-validation
runs on the other 765, and these ids only ever score a finished model. Figures carry a
percentile bootstrap 95 % interval (2,000 resamples of the test messages, seed 7).

A ticket can carry one of those texts (an import of the same messages, a citizen who writes
again): `text_is_frozen` finds it by the hash of its normalised content, and a dispatcher's
correction of such a ticket never trains (learning.py).
"""

import csv
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings
from sklearn.metrics import f1_score

from hotline.text import compact, normalize

IDS_FILE = Path(__file__).resolve().parent / "data" / "frozen_test_ids.csv"
BOOTSTRAP = 2000
BOOTSTRAP_SEED = 7


@cache
def frozen_ids() -> frozenset[str]:
    with open(IDS_FILE, encoding="utf-8", newline="") as f:
        return frozenset(r["id"] for r in csv.DictReader(f))


def is_frozen(key: str) -> bool:
    """True for a seed example (`seed:<id>`) whose id is in the frozen test split."""
    return key.startswith("seed:") and key[5:] in frozen_ids()


def text_key(content: str | None) -> str:
    return hashlib.sha256(compact(normalize(content or "")).encode()).hexdigest()


@cache
def _frozen_texts(path: str) -> frozenset[str]:
    ids = frozen_ids()
    with open(path, encoding="utf-8", newline="") as f:
        return frozenset(text_key(r["content"]) for r in csv.DictReader(f) if r["id"] in ids)


def text_is_frozen(content: str | None, data_dir: Path | None = None) -> bool:
    """True when `content` is, once normalised, the text of a frozen test message.

    Without the seed data on this machine nothing is known to be frozen (and nothing can be
    evaluated on the split either: the retrain refuses to run then).
    """
    path = Path(data_dir or settings.DATA_DIR) / "messages_labeled.csv"
    if not compact(content or "") or not path.exists():
        return False
    return text_key(content) in _frozen_texts(str(path))


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def as_dict(self) -> dict:
        return {k: round(float(getattr(self, k)), 4) for k in ("value", "low", "high")}


def bootstrap(y_true: list[str], y_pred: list[str]) -> dict[str, Interval]:
    """Macro-F1 and accuracy with a percentile bootstrap 95 % interval."""
    y = np.asarray(y_true)
    p = np.asarray(y_pred)
    labels = sorted(set(y_true))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    f1s, accs = [], []
    for _ in range(BOOTSTRAP):
        i = rng.integers(0, len(y), len(y))
        f1s.append(f1_score(y[i], p[i], labels=labels, average="macro", zero_division=0))
        accs.append(float(np.mean(y[i] == p[i])))
    macro = float(f1_score(y, p, labels=labels, average="macro", zero_division=0))
    return {
        "macro_f1": Interval(macro, *np.percentile(f1s, [2.5, 97.5])),
        "accuracy": Interval(float(np.mean(y == p)), *np.percentile(accs, [2.5, 97.5])),
    }
