"""The in-memory BM25 index over jieba tokens, kept in step with the database.

Why in memory: scoring 10,000 articles in SQL (a token table and GROUP BY) costs tens of
milliseconds on SQLite; posting lists in a dict cost a few. Why still correct with several
gunicorn workers: every change writes a new random stamp to `IndexState.version` in its own
transaction, and each search first reads it (one primary-key read). When it moved, the worker
fetches `(id, revision)` of every article, reloads only the rows that are new or changed and
drops the deleted ones; the tokens are stored on the rows, so nothing is segmented again.
"""

import heapq
import math
import threading
from dataclasses import dataclass
from datetime import date

from .models import Article, IndexState, SynonymGroup
from .tokens import builtin_synonym_lines, parse_synonyms

K1, B = 1.2, 0.75
# A term in more than this share of the articles, and in more than COMMON_MIN of them, counts
# as common (see search); below a few thousand articles everything is scored in full.
COMMON, COMMON_MIN = 0.2, 1000
TITLE_WEIGHT = 3.0  # a word in the title counts as three in the body: titles name the matter


@dataclass(slots=True)
class Doc:
    revision: int
    tf: dict[str, float]
    length: float
    region_path: str  # "" = everywhere
    category_id: int | None
    valid_from: date | None
    valid_until: date | None
    live: bool  # published and not retired

    def shown_on(self, today: date) -> bool:
        return (
            self.live
            and (self.valid_from is None or self.valid_from <= today)
            and (self.valid_until is None or today <= self.valid_until)
        )


def _doc(row: dict) -> Doc:
    tf: dict[str, float] = {}
    for t in row["body_tokens"].split():
        tf[t] = tf.get(t, 0.0) + 1.0
    for t in row["title_tokens"].split():
        tf[t] = tf.get(t, 0.0) + TITLE_WEIGHT
    return Doc(
        revision=row["revision"],
        tf=tf,
        length=sum(tf.values()),
        region_path=row["region__path"] or "",
        category_id=row["category_id"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        live=row["is_published"] and row["retired_at"] is None,
    )


_FIELDS = [
    "id",
    "revision",
    "title_tokens",
    "body_tokens",
    "region__path",
    "category_id",
    "valid_from",
    "valid_until",
    "is_published",
    "retired_at",
]


class KnowledgeIndex:
    def __init__(self):
        self.version = -1
        self.docs: dict[int, Doc] = {}
        self.postings: dict[str, dict[int, float]] = {}
        self.total_length = 0.0
        self.synonyms: dict[str, set[str]] = {}
        # BM25's length normalisation per article, for the current average length.
        self.norms: dict[int, float] = {}
        self.norms_avg = -1.0
        self.lock = threading.Lock()

    # ---- keeping in step ------------------------------------------------------------------

    def sync(self) -> None:
        """Bring the index up to the database's version; a no-op (one read) when it is there."""
        current = IndexState.objects.filter(pk=1).values_list("version", flat=True).first() or 0
        if current == self.version:
            return
        # Read the stamp before the rows: a change committed in between is fetched now and,
        # having written a newer stamp, fetched again (harmlessly) on the next search.
        revisions = dict(Article.objects.values_list("id", "revision"))
        for gone in self.docs.keys() - revisions.keys():
            self._remove(gone)
        stale = [
            pk
            for pk, rev in revisions.items()
            if pk not in self.docs or self.docs[pk].revision != rev
        ]
        for start in range(0, len(stale), 500):
            for row in Article.objects.filter(pk__in=stale[start : start + 500]).values(*_FIELDS):
                self._remove(row["id"])
                self._add(row["id"], _doc(row))
        lines = builtin_synonym_lines()
        lines += SynonymGroup.objects.filter(is_active=True).values_list("terms", flat=True)
        self.synonyms = parse_synonyms(lines)
        self.norms_avg = -1.0  # lengths changed: recomputed on the next search
        self.version = current

    def _renorm(self, avg: float) -> None:
        self.norms = {pk: K1 * (1.0 - B + B * d.length / avg) for pk, d in self.docs.items()}
        self.norms_avg = avg

    def _add(self, pk: int, doc: Doc) -> None:
        self.docs[pk] = doc
        self.total_length += doc.length
        for t, f in doc.tf.items():
            self.postings.setdefault(t, {})[pk] = f

    def _remove(self, pk: int) -> None:
        doc = self.docs.pop(pk, None)
        if doc is None:
            return
        self.total_length -= doc.length
        for t in doc.tf:
            plist = self.postings.get(t)
            if plist is not None:
                plist.pop(pk, None)
                if not plist:
                    del self.postings[t]

    # ---- searching --------------------------------------------------------------------------

    def search(
        self,
        weights: dict[str, float],
        *,
        today: date,
        region_path: str | None = None,
        categories: set[int] | None = None,
        limit: int = 10,
    ) -> list[tuple[int, float]]:
        """The best `limit` (article id, BM25 score) pairs among articles shown today.

        `region_path`: only articles for everywhere or for that region or one above it.
        `categories`: only articles without a category or with one of these ids.
        """
        n = len(self.docs)
        if not n:
            return []
        avg = self.total_length / n or 1.0
        if avg != self.norms_avg:
            self._renorm(avg)
        terms = sorted(
            ((len(self.postings[t]), t, w) for t, w in weights.items() if t in self.postings),
        )
        scores: dict[int, float] = {}
        norms, k1 = self.norms, K1 + 1.0
        for df, term, weight in terms:
            plist = self.postings[term]
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) * weight
            if df > max(COMMON * n, COMMON_MIN) and scores:
                # A word in most articles (办理, 材料) only reorders what the rarer words found:
                # scoring all its postings would cost most of the time and change little.
                for pk in scores.keys() & plist.keys():
                    f = plist[pk]
                    scores[pk] += idf * f * k1 / (f + norms[pk])
                continue
            for pk, f in plist.items():
                scores[pk] = scores.get(pk, 0.0) + idf * f * k1 / (f + norms[pk])

        def shown(pk: int) -> bool:
            d = self.docs[pk]
            return (
                d.shown_on(today)
                and (region_path is None or region_path.startswith(d.region_path))
                and (categories is None or d.category_id is None or d.category_id in categories)
            )

        # Highest score first; on a tie the newer article (higher id) first.
        best = heapq.nlargest(
            limit, ((s, pk) for pk, s in scores.items() if shown(pk)), key=lambda x: (x[0], x[1])
        )
        return [(pk, s) for s, pk in best]


INDEX = KnowledgeIndex()
