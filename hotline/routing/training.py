"""Training and evaluation: seed data plus the project's own tickets, one fixed validation split.

Examples come from `messages_labeled.csv` in `settings.DATA_DIR` (when it is there), from
closed tickets with a category (its first level), and from dispatcher decisions: a ticket
without a category is labelled by the first-level category mapped to the unit it finally went
to, when exactly one maps there, so overrides teach the next model. Seed messages in the
frozen test split (`frozen.py`, 255 of 1,020) validate and never train; a ticket goes to
validation when its number hashes so, which keeps the split stable as tickets accumulate. A new model replaces the current one only if
its macro-F1 on that same validation set is not lower.
"""

import csv
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from sklearn.metrics import f1_score, precision_recall_fscore_support

from . import frozen, store, taxonomy
from .classifier import TextClassifier

VALIDATION = 0.2
SEED_FILE = "messages_labeled.csv"


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    content: str
    label: str
    source: str  # "seed" or "ticket"


def seed_examples(data_dir: Path | None = None) -> list[Example]:
    path = Path(data_dir or settings.DATA_DIR) / SEED_FILE
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as f:
        return [
            Example(f"seed:{r['id']}", r["title"], r["content"], r["label"], "seed")
            for r in csv.DictReader(f)
        ]


def ticket_examples() -> list[Example]:
    """Closed tickets with a category, and tickets whose dispatch says what they were."""
    from hotline.tickets.models import Status, Ticket

    from .models import DispatchDecision

    nodes = taxonomy.tree()
    examples: dict[int, Example] = {}
    by_function = function_labels()
    latest = {}
    for d in DispatchDecision.objects.order_by("id").values("ticket_id", "final_unit__function"):
        latest[d["ticket_id"]] = d["final_unit__function"]
    tickets = Ticket.objects.filter(pk__in=list(latest)) | Ticket.objects.filter(
        status=Status.CLOSED, category__isnull=False
    )
    for t in tickets.select_related("category").distinct():
        label = None
        if frozen.text_is_frozen(t.content):
            continue  # the text of a frozen test message never trains, whoever labelled it
        if t.category_id:
            label = nodes.get(taxonomy.path(t.category.code)[0], None)
            label = label.name if label else None
        elif t.pk in latest:
            label = by_function.get(latest[t.pk] or "")
        if label:
            examples[t.pk] = Example(f"ticket:{t.number}", t.title, t.content, label, "ticket")
    return list(examples.values())


def function_labels() -> dict[str, str]:
    """Function → the one first-level category mapped to it (ambiguous functions teach nothing)."""
    from .models import CategoryFunction

    nodes = taxonomy.tree()
    by_function: dict[str, set[str]] = {}
    for code, function in CategoryFunction.objects.values_list("category_code", "function"):
        if code in nodes and nodes[code].level == 1:
            by_function.setdefault(function, set()).add(nodes[code].name)
    return {f: next(iter(names)) for f, names in by_function.items() if len(names) == 1}


def label_of(ticket, unit) -> str:
    """The first-level category a dispatch teaches: the ticket's own, else the unit's function's."""
    if ticket.category_id:
        node = taxonomy.tree().get(taxonomy.path(ticket.category.code)[0])
        return node.name if node else ""
    return function_labels().get(unit.function or "", "")


def _is_validation(key: str) -> bool:
    digest = hashlib.sha256(key.encode()).digest()
    return digest[0] < 256 * VALIDATION


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """Seed data: the frozen test ids validate, the rest trains; tickets: by their number's hash.

    The frozen ids (`frozen.py`) never train a model, so the figure a new model is promoted on
    is the same honest figure the docs report.
    """
    train, valid = [], []
    for e in examples:
        held_out = frozen.is_frozen(e.key) if e.source == "seed" else _is_validation(e.key)
        (valid if held_out else train).append(e)
    return train, valid


def evaluate(model: TextClassifier, examples: list[Example]) -> dict:
    """Macro-F1, -precision, -recall, accuracy and per-label figures on `examples`."""
    if not examples:
        return {"n": 0, "macro_f1": None, "accuracy": None, "labels": {}}
    preds = model.predict_many([(e.title, e.content) for e in examples], reasons=0)
    y = [e.label for e in examples]
    p = [pr.label or "" for pr in preds]
    labels = sorted(set(y))
    prec, rec, f1, support = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    return {
        "n": len(examples),
        "macro_f1": round(float(f1_score(y, p, labels=labels, average="macro")), 4),
        "macro_precision": round(float(np.mean(prec)), 4),
        "macro_recall": round(float(np.mean(rec)), 4),
        "accuracy": round(float(np.mean([a == b for a, b in zip(y, p, strict=True)])), 4),
        "labels": {
            label: {
                "precision": round(float(prec[i]), 4),
                "recall": round(float(rec[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
    }


def train(
    *, examples: list[Example] | None = None, use_tickets: bool = True, force: bool = False
) -> dict:
    """Train a candidate, compare it with the current model, keep it if not worse."""
    if examples is None:
        examples = seed_examples() + (ticket_examples() if use_tickets else [])
    train_set, valid = split(examples)
    if len({e.label for e in train_set}) < 2:
        raise ValueError("训练数据不足：至少需要两个分类的样本 / need examples of 2+ labels")
    started = time.perf_counter()
    model = TextClassifier().fit(
        [e.title for e in train_set], [e.content for e in train_set], [e.label for e in train_set]
    )
    seconds = time.perf_counter() - started
    report = {
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "train_seconds": round(seconds, 2),
        "n_train": len(train_set),
        "n_seed": sum(e.source == "seed" for e in examples),
        "n_tickets": sum(e.source == "ticket" for e in examples),
        "classes": [str(c) for c in model.classes],
        "validation": evaluate(model, valid),
    }
    current = store.current_version()
    old_f1 = None
    if current is not None and valid:
        old_f1 = evaluate(store.load(current), valid)["macro_f1"]
    new_f1 = report["validation"]["macro_f1"]
    better = force or current is None or old_f1 is None or (new_f1 or 0) >= old_f1
    report["compared_with"] = {"version": current, "macro_f1": old_f1}
    report["version"] = store.save(model, report, make_current=better)
    report["promoted"] = better
    return report
