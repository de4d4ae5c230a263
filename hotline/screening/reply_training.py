"""Training and honest evaluation of the reply scorer, shared by scripts/train_reply_model.py
and the retrain (`hotline retrain replies`).

Training data: the hand-labelled real replies outside the frozen test split — the `tune` rows of
tests/data/labels/replies.csv and docs/data/reply_labels.csv (minus any id in the test split) —
plus the reviewers' corrections. The threshold is chosen on five-fold out-of-fold probabilities
(three shuffles, their thresholds averaged): the highest recall whose out-of-fold precision is at
least 0.88 — a margin over the 0.85 goal, since a threshold set on the goal itself fell under it
on unseen replies (docs/benchmarks.md). The 500 `test` rows only ever score a finished
scorer, with the figures bench/bench_screening.py reports (a reply is flagged when the review's
verdict is not "pass"); a correction whose reply text is one of them never trains.
"""

import csv
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits  # installed with scikit-learn, which needs it

from hotline.text import compact, normalize

from .reply_model import ReplyScorer, assess

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "tests" / "data" / "labels" / "replies.csv"
EXTRA_LABELS = ROOT / "docs" / "data" / "reply_labels.csv"
# The 1,000 split replies read a second time and their disagreements adjudicated
# (docs/labelling-replies.md §7); scripts/reply_adjudication.py writes it.
ADJUDICATED = LABELS.parent / "replies_adjudicated.csv"
# The training replies outside the split by the whole guide: scripts/reply_training_labels.py.
GUIDE7_LABELS = ROOT / "docs" / "data" / "reply_labels_guide7.csv"
MIN_PRECISION = 0.85  # the goal on the frozen split
CV_PRECISION = 0.88  # what the threshold must reach out of fold: the goal plus a margin
SHUFFLES = (0, 1, 2)
_STARS = re.compile(r"\*{10,}")


def clean(reply: str) -> str:
    """Runs of 10+ stars are the data set's anonymisation, not a handler's placeholder."""
    return _STARS.sub("某", reply or "")


def text_key(reply: str) -> str:
    return hashlib.sha256(compact(normalize(clean(reply))).encode()).hexdigest()


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def _replies(path: str) -> dict[str, dict]:
    return {r["id"]: r for r in _read(Path(path))}


def replies(data_dir: Path | None = None) -> dict[str, dict]:
    path = Path(data_dir or settings.DATA_DIR) / "replies.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reply training needs the shared data")
    return _replies(str(path))


def available(data_dir: Path | None = None) -> bool:
    return (Path(data_dir or settings.DATA_DIR) / "replies.csv").exists() and LABELS.exists()


@cache
def _test_ids() -> frozenset[str]:
    return frozenset(r["id"] for r in _read(LABELS) if r["split"] == "test")


@cache
def _frozen_keys(path: str) -> frozenset[str]:
    rows = _replies(path)
    return frozenset(text_key(rows[i]["reply"]) for i in _test_ids() if i in rows)


def is_frozen(reply: str, data_dir: Path | None = None) -> bool:
    """True when the reply's text is one of the frozen test split's (False without the data)."""
    path = Path(data_dir or settings.DATA_DIR) / "replies.csv"
    if not path.exists() or not LABELS.exists():
        return False
    return text_key(reply) in _frozen_keys(str(path))


def gold(labels: str = "first") -> dict[str, tuple[bool, str, str]]:
    """Training label by id: (send back?, sample, category).

    "first": the `tune` rows' first reading, then the extra file's rows outside the frozen split
    (its `pool-N` batches name a category, the older rows none). "adjudicated": the same with the
    `tune` rows adjudicated. "guide7": everything read by the whole guide (§1–7) — the adjudicated
    `tune` rows and GUIDE7_LABELS (the extra rows read again and adjudicated, the rest of the pool
    read once)."""
    test = _test_ids()
    tune = _read(LABELS if labels == "first" else ADJUDICATED)
    out = {r["id"]: (r["verdict"] == "send_back", "tune", r["category"]) for r in tune
           if r["split"] == "tune"}  # fmt: skip
    if labels == "guide7":
        for r in _read(GUIDE7_LABELS):
            if r["id"] not in test and r["id"] not in out:
                out[r["id"]] = (r["verdict"] == "send_back", r["origin"], r["category"])
        return out
    for r in _read(EXTRA_LABELS):
        if r["id"] not in test and r["id"] not in out:
            out[r["id"]] = (r["label"] == "send_back", r["sample"], r.get("category") or "")
    return out


def _gold() -> dict[str, tuple[bool, str, str]]:
    return gold()


def sources() -> list[tuple[str, str]]:
    """(sample, category) of each training reply, in the order `labelled` returns them."""
    gold = _gold()
    return [gold[i][1:] for i in sorted(gold)]


def labelled(data_dir: Path | None = None) -> tuple[list[tuple[str, str, str]], np.ndarray]:
    """The hand-labelled replies outside the frozen split: (reply, title, content) and labels."""
    rows = replies(data_dir)
    gold = _gold()
    items = [(clean(rows[i]["reply"]), rows[i]["title"], rows[i]["content"]) for i in sorted(gold)]
    return items, np.array([gold[i][0] for i in sorted(gold)])


def threshold_for(oof: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(threshold, precision, recall): the highest recall with precision >= CV_PRECISION."""
    best = (0.5, 0.0, 0.0)
    for t in np.linspace(0.05, 0.95, 181):
        p = oof >= t
        tp = int((p & y).sum())
        prec, rec = tp / max(int(p.sum()), 1), tp / max(int(y.sum()), 1)
        if prec >= CV_PRECISION and (rec, prec) > (best[2], best[1]):
            best = (float(t), prec, rec)
    return best


def fit(items: list[tuple[str, str, str]], y: np.ndarray) -> ReplyScorer:
    """A scorer on all of `items`, its threshold chosen by five-fold CV (three shuffles)."""
    # One BLAS thread: on a loaded two-core machine the default pool made one fit take 76 s
    # instead of 1.3 s (threads spinning against each other).
    with threadpool_limits(1):
        found = []
        for seed in SHUFFLES:
            oof = np.zeros(len(y))
            for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(items, y):
                m = ReplyScorer().fit([items[i] for i in a], y[a])
                oof[b] = m.probability([items[i] for i in b])
            found.append(threshold_for(oof, y))
        threshold, prec, rec = (float(np.mean(v)) for v in zip(*found, strict=True))
        scorer = ReplyScorer(threshold=round(threshold, 3)).fit(items, y)
    f1 = 2 * prec * rec / max(prec + rec, 1e-9)
    scorer.cv = {"n": len(y), "send_back": int(y.sum()), "shuffles": len(SHUFFLES),
                 "min_precision": CV_PRECISION, "precision": round(prec, 3),
                 "recall": round(rec, 3), "f1": round(f1, 3)}  # fmt: skip
    return scorer


@dataclass(frozen=True)
class Figures:
    n: int
    send_back: int
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return round(self.tp / (self.tp + self.fp), 4) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return round(self.tp / (self.tp + self.fn), 4) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return round(2 * p * r / (p + r), 4) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"n": self.n, "send_back": self.send_back, "tp": self.tp, "fp": self.fp,
                "fn": self.fn, "precision": self.precision, "recall": self.recall,
                "f1": self.f1}  # fmt: skip


def evaluate(
    scorer: ReplyScorer | None, matcher, data_dir: Path | None = None, labels: Path = ADJUDICATED
) -> Figures:
    """The review (rules + `scorer`) on the frozen test split: flagged = verdict not "pass".

    Against the adjudicated labels by default (the split read twice, docs/labelling-replies.md
    §7): the better truth is what a retrain must not be worse on."""
    rows = replies(data_dir)
    tp = fp = fn = n = 0
    for label in _read(labels):
        if label["split"] != "test":
            continue
        r = rows[label["id"]]
        verdict = assess(clean(r["reply"]), title=r["title"], content=r["content"],
                         scorer=scorer, matcher=matcher).verdict  # fmt: skip
        pred, gold = verdict != "pass", label["verdict"] == "send_back"
        n += 1
        tp, fp, fn = tp + (pred and gold), fp + (pred and not gold), fn + (gold and not pred)
    return Figures(n=n, send_back=tp + fn, tp=tp, fp=fp, fn=fn)
