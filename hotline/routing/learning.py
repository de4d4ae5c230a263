"""Learning from the center's corrections: retrain, evaluate on the frozen split, deploy only
if not worse, and keep a `ModelVersion` row of every attempt.

Routing: the previous training data (the seed messages outside the frozen split and the
project's own tickets, `training.py`) plus the dispatchers' corrections (`DispatchCorrection`,
the latest per ticket wins over the ticket's other label). Reply review: the hand-labelled
replies outside the frozen split plus the reviewers' corrections (`ReviewCorrection`). Either
way a correction whose text is in the frozen test split is dropped here, whatever its stored
mark says, so the figure a model is deployed on stays the honest one the docs report.

The comparison uses the benches' own metric code (`training.evaluate`, `reply_training.evaluate`)
on the frozen split, candidate and active model alike. Run by `hotline retrain [routing|replies]`
and weekly by the worker (jobs.py).
"""

import logging
from datetime import UTC, datetime

import numpy as np

from hotline.screening import reply_store, reply_training
from hotline.screening.lexicon import default_terms
from hotline.screening.matcher import Matcher
from hotline.screening.models import ReviewCorrection

from . import frozen, store, training
from .classifier import TextClassifier
from .models import DispatchCorrection, ModelKind, ModelVersion

log = logging.getLogger(__name__)


class NotAvailable(ValueError):
    """The frozen split (the shared data) is not on this machine: nothing can be compared."""


def correction_examples() -> tuple[dict[str, training.Example], int]:
    """The dispatchers' corrections as training examples (latest per ticket); and how many were
    dropped because the ticket's text is in the frozen test split."""
    examples: dict[str, training.Example] = {}
    excluded = 0
    rows = DispatchCorrection.objects.select_related("ticket").exclude(label="").order_by("id")
    for c in rows:
        t = c.ticket
        if c.frozen or frozen.text_is_frozen(t.content):
            excluded += 1
            continue
        key = f"ticket:{t.number}"
        examples[key] = training.Example(key, t.title, t.content, c.label, "correction")
    return examples, excluded


def _record(kind, *, version, n_train, n_corrections, n_excluded, figures, active, deployed,
            reason) -> ModelVersion:  # fmt: skip
    return ModelVersion.objects.create(
        kind=kind,
        version=version,
        trained_at=datetime.now(UTC),
        n_train=n_train,
        n_corrections=n_corrections,
        n_excluded=n_excluded,
        n_test=figures["n"],
        f1=figures["f1"],
        precision=figures["precision"],
        recall=figures["recall"],
        active_version=active[0] or "",
        active_f1=active[1],
        deployed=deployed,
        reason=reason,
        figures=figures,
    )


def _verdict(new: float, active: tuple[str | None, float | None], force: bool, floor=""):
    version, old = active
    if force:
        return True, "强制启用（--force）"
    if version is None or old is None:
        return True, "首个版本，直接启用"
    if floor:
        return False, floor
    if new >= old:
        return True, f"不低于现用版本 {version}（F1 {old:.4f} → {new:.4f}），已启用"
    return False, f"低于现用版本 {version}（F1 {old:.4f} → {new:.4f}），未启用"


def retrain_routing(*, force: bool = False) -> ModelVersion:
    """Train on seed + tickets + corrections; deploy if its frozen macro-F1 is not lower."""
    seeds = training.seed_examples()
    test = [e for e in seeds if frozen.is_frozen(e.key)]
    if not test:
        raise NotAvailable(
            "冻结测试集不可用：HOTLINE_DATA_DIR 下没有 messages_labeled.csv / "
            "the frozen routing split needs messages_labeled.csv in HOTLINE_DATA_DIR"
        )
    examples = {e.key: e for e in seeds if not frozen.is_frozen(e.key)}
    examples.update({e.key: e for e in training.ticket_examples()})
    corrections, excluded = correction_examples()
    examples.update(corrections)
    train_set = list(examples.values())
    model = TextClassifier().fit(
        [e.title for e in train_set], [e.content for e in train_set], [e.label for e in train_set]
    )
    report = training.evaluate(model, test)
    active: tuple[str | None, float | None] = (store.current_version(), None)
    if active[0] is not None:
        active = (active[0], training.evaluate(store.load(active[0]), test)["macro_f1"])
    deployed, reason = _verdict(report["macro_f1"], active, force)
    figures = {
        "n": report["n"],
        "f1": report["macro_f1"],
        "precision": report["macro_precision"],
        "recall": report["macro_recall"],
        "accuracy": report["accuracy"],
        "labels": report["labels"],
    }
    saved = {
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "n_train": len(train_set),
        "n_corrections": len(corrections),
        "classes": [str(c) for c in model.classes],
        "validation": report,
    }
    version = store.save(model, saved, make_current=deployed)
    return _record(ModelKind.ROUTING, version=version, n_train=len(train_set),
                   n_corrections=len(corrections), n_excluded=excluded, figures=figures,
                   active=active, deployed=deployed, reason=reason)  # fmt: skip


def retrain_replies(*, force: bool = False, base=None) -> ModelVersion:
    """Train on the labelled replies + corrections; deploy if its frozen F1 is not lower (and
    its precision stays at the 0.85 goal when the active scorer's does).

    `base` ((reply, title, content) items, labels) replaces the labelled replies: the five-fold
    fit on all 719 takes minutes, too long for a test of the deploy rule.
    """
    if not reply_training.available():
        raise NotAvailable(
            "冻结测试集不可用：HOTLINE_DATA_DIR 下没有 replies.csv / "
            "the frozen reply split needs replies.csv in HOTLINE_DATA_DIR"
        )
    items, y = base if base is not None else reply_training.labelled()
    items, y = list(items), list(y)
    latest: dict[int, ReviewCorrection] = {}
    for c in ReviewCorrection.objects.select_related("review", "ticket").order_by("id"):
        latest[c.review_id] = c
    excluded = 0
    for c in latest.values():
        if c.frozen or reply_training.is_frozen(c.review.body):
            excluded += 1
            continue
        items.append((reply_training.clean(c.review.body), c.ticket.title, c.ticket.content))
        y.append(c.send_back)
    scorer = reply_training.fit(items, np.array(y, dtype=bool))
    matcher = Matcher(default_terms())  # the lexicon the bench scores with
    new = reply_training.evaluate(scorer, matcher)
    found = reply_store.active()
    active: tuple[str | None, float | None] = (None, None)
    floor = ""
    if found is not None:
        old = reply_training.evaluate(found[1], matcher)
        active = (found[0], old.f1)
        goal = reply_training.MIN_PRECISION
        if new.precision < goal <= old.precision:
            floor = (
                f"精确率 {new.precision:.4f} 低于目标 {goal}（现用 {old.precision:.4f}），未启用"
            )
    deployed, reason = _verdict(new.f1, active, force, floor)
    figures = {**new.as_dict(), "threshold": scorer.threshold, "cv": scorer.cv}
    version = reply_store.save(scorer, figures, deploy=deployed)
    return _record(ModelKind.REPLIES, version=version, n_train=len(items),
                   n_corrections=len(latest) - excluded, n_excluded=excluded, figures=figures,
                   active=active, deployed=deployed, reason=reason)  # fmt: skip


RETRAIN = {ModelKind.ROUTING: retrain_routing, ModelKind.REPLIES: retrain_replies}


STORES = {ModelKind.ROUTING: store, ModelKind.REPLIES: reply_store}
CORRECTIONS = {ModelKind.ROUTING: DispatchCorrection, ModelKind.REPLIES: ReviewCorrection}


def _due(kind: str) -> str:
    """Why the weekly retrain of `kind` does not run now; "" when it should."""
    if STORES[kind].store_dir() == STORES[kind].PACKAGE_DIR:
        # The package's folder is what ships with a release: an unattended job never writes
        # there (nor does a test that runs the worker); production names a writable folder.
        return "no model folder configured (HOTLINE_ROUTING_MODEL_DIR / HOTLINE_REPLY_MODEL_DIR)"
    last = ModelVersion.objects.filter(kind=kind).order_by("-trained_at").first()
    new = CORRECTIONS[kind].objects.filter(frozen=False)
    if last is not None:
        new = new.filter(created_at__gt=last.trained_at)
    return "" if new.exists() else "no new corrections since the last version"


def retrain_weekly() -> list[str]:
    """The worker's weekly job: each model that has new corrections to learn from and a
    configured model folder; one without its data is skipped, not an error."""
    done = []
    for kind, retrain in RETRAIN.items():
        if why := _due(kind):
            log.info("retrain %s skipped: %s", kind, why)
            continue
        try:
            v = retrain()
        except NotAvailable as exc:
            log.warning("retrain %s skipped: %s", kind, exc)
            continue
        done.append(f"{kind} {v.version} {'deployed' if v.deployed else 'kept aside'}")
        log.info("retrain %s: %s (%s)", kind, v.version, v.reason)
    return done
