"""The lexicons: built-in defaults, the in-process matcher and versioned edits.

Screening runs on every registration, so the automaton lives in process memory. An edit bumps
the version and drops this process's matcher at once; other worker processes compare the
version number at most every CHECK_SECONDS (one indexed query), so an edit reaches every
worker within seconds and without a restart.
"""

import csv
import threading
import time
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from hotline.errors import InvalidInput, NotFound
from hotline.text import compact

from .matcher import Matcher, Term
from .models import DEFAULT_LEVEL, Category, Level, LexiconTerm, LexiconVersion

CHECK_SECONDS = 5.0
FIXTURE = Path(__file__).parent / "fixtures" / "lexicon.csv"

_lock = threading.Lock()
_state: dict = {"matcher": None, "checked": 0.0}


def default_terms() -> list[Term]:
    """The built-in lexicon (fixtures/lexicon.csv): the seed of a new installation."""
    with FIXTURE.open(encoding="utf-8") as f:
        return [
            Term(r["term"], r["category"], r["level"], r["homophones"] == "1")
            for r in csv.DictReader(f)
        ]


def _current_version() -> int:
    return LexiconVersion.objects.aggregate(n=Max("number"))["n"] or 0


def seed_defaults() -> int:
    """Load the built-in lexicon as version 1 when no version exists; returns the version."""
    version = _current_version()
    if version:
        return version
    now = timezone.now()
    try:
        with transaction.atomic():
            LexiconTerm.objects.bulk_create(
                [
                    LexiconTerm(
                        term=t.term,
                        category=t.category,
                        level=t.level,
                        homophones=t.homophones,
                        updated_at=now,
                    )
                    for t in default_terms()
                ],
                ignore_conflicts=True,
            )
            LexiconVersion.objects.create(number=1, summary="内置词库", created_at=now)
    except IntegrityError:  # another process seeded first
        pass
    return _current_version()


def _build() -> Matcher:
    version = seed_defaults()
    rows = LexiconTerm.objects.filter(is_active=True).values_list(
        "term", "category", "level", "homophones"
    )
    return Matcher([Term(*r) for r in rows], version)


def matcher() -> Matcher:
    """The matcher of the current lexicon version."""
    now = time.monotonic()
    current = _state["matcher"]
    if current is not None and now - _state["checked"] < CHECK_SECONDS:
        return current
    with _lock:
        current = _state["matcher"]
        if current is None or _current_version() != current.version:
            current = _state["matcher"] = _build()
        _state["checked"] = now
        return current


def invalidate() -> None:
    """Drop this process's matcher; the next screening rebuilds it."""
    _state["matcher"] = None


def _check(term: str, category: str, level: str | None) -> tuple[str, str, str]:
    word = (term or "").strip()
    if not 2 <= len(compact(word)) <= 32:
        raise InvalidInput("词语须为2至32个字", "term must be 2..32 characters", field="term")
    if category not in Category.values:
        raise InvalidInput(
            "词库类别无效", f"category must be one of {Category.values}", field="category"
        )
    level = level or DEFAULT_LEVEL[category]
    if level not in Level.values:
        raise InvalidInput("风险等级无效", f"level must be one of {Level.values}", field="level")
    return word, category, level


@transaction.atomic
def edit(*, by, changes: list[dict], summary: str = "") -> LexiconVersion:
    """Apply a batch of edits as one new version. A change is {"term","category"} plus any of
    "level", "homophones", "active" (False deactivates), "note"."""
    if not changes:
        raise InvalidInput("没有要保存的修改", "changes must not be empty", field="changes")
    seed_defaults()
    now = timezone.now()
    log = []
    for i, change in enumerate(changes):
        if not isinstance(change, dict):
            raise InvalidInput("修改项格式无效", "each change must be an object", field="changes")
        word, category, level = _check(
            change.get("term"), change.get("category"), change.get("level")
        )
        row = LexiconTerm.objects.select_for_update().filter(term=word, category=category).first()
        before = None
        if row is None:
            if change.get("active") is False:
                raise NotFound(f"词条不存在：{word}", f"unknown term {word}", field=f"changes.{i}")
            row = LexiconTerm(term=word, category=category)
        else:
            before = {"level": row.level, "active": row.is_active, "homophones": row.homophones}
        row.level = level if "level" in change or before is None else row.level
        row.homophones = bool(change.get("homophones", row.homophones))
        row.is_active = change.get("active", True) is not False
        row.note = str(change.get("note", row.note))[:200]
        row.updated_at, row.updated_by = now, by
        row.save()
        after = {"level": row.level, "active": row.is_active, "homophones": row.homophones}
        log.append({"term": word, "category": category, "before": before, "after": after})
    # Two concurrent edits collide on the unique number; the second one fails whole.
    number = _current_version() + 1
    version = LexiconVersion.objects.create(
        number=number,
        summary=(summary or f"修改{len(log)}个词条")[:300],
        changes=log,
        created_at=now,
        created_by=by,
    )
    invalidate()  # this process (and its transaction) sees the edit at once
    transaction.on_commit(invalidate)  # and rebuilds again from the committed rows
    return version
