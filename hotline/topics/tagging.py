"""Tagging tickets with topics: the retroactive pass over the tickets that existed when a topic
was made, and the pass over new tickets (by the worker's sweep, or one ticket at intake).

Both read tickets in id order in batches of plain rows and keep a watermark on the topic
(`backfill_done`, `checked_up_to`), so a pass stopped half way continues where it stopped and a
repeat adds nothing (the unique topic–ticket pair). The rule's regions and categories are
expanded to their subtrees once per pass; the rows are filtered in Python (matching.py).
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hotline.catalog.models import Category
from hotline.orgs.models import Region, Unit
from hotline.tickets import fastinsert
from hotline.tickets.models import Ticket

from . import matching
from .models import TagSource, Topic, TopicTicket

BATCH = 20_000
FIELDS = ("pk", "title", "content", "category_id", "region_id", "center_id")


def _subtree_ids(model, roots) -> set[int]:
    q = Q(pk__in=[])
    for path in roots:
        q |= Q(path__startswith=path)
    return set(model.objects.filter(q).values_list("pk", flat=True))


def _category_ids(topic: Topic) -> set[int] | None:
    chosen = list(topic.categories.all())
    if not chosen:
        return None
    ids = {c.pk for c in chosen}
    frontier = set(ids)
    while frontier:  # categories keep a parent link, not a path: walk down level by level
        frontier = set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier -= ids
        ids |= frontier
    return ids


class Scope:
    """What a topic may take: tickets of its center's region (or, with no region, held by its
    center or one below), narrowed to the rule's regions."""

    def __init__(self, topic: Topic):
        center = topic.center
        self.region_ids = _subtree_ids(Region, [center.region.path])
        chosen = [r.path for r in topic.regions.all()]
        if chosen:
            self.region_ids &= _subtree_ids(Region, chosen)
            self.center_ids: set[int] = set()  # a ticket without a region is in no region
        else:
            self.center_ids = _subtree_ids(Unit, [center.path])
        # Reading and converting every row's time costs a third of a pass: only with a period.
        self.fields = (*FIELDS, "created_at") if topic.starts_at or topic.ends_at else FIELDS
        self.rule = matching.rule(
            words=topic.keywords,
            category_ids=_category_ids(topic),
            starts_at=topic.starts_at,
            ends_at=topic.ends_at,
        )

    def matches(self, row: dict):
        region = row["region_id"]
        if region is None:
            if row["center_id"] not in self.center_ids:
                return None
        elif region not in self.region_ids:
            return None
        return matching.match(
            self.rule,
            title=row["title"],
            content=row["content"],
            category_id=row["category_id"],
            region_id=None,
            created_at=row.get("created_at"),
        )


def _rows(scope: Scope, after: int, upto: int | None, batch: int) -> list[dict]:
    qs = Ticket.objects.filter(pk__gt=after)
    if upto is not None:
        qs = qs.filter(pk__lte=upto)
    return list(qs.order_by("pk").values(*scope.fields)[:batch])


def _tag(topic: Topic, scope: Scope, rows: list[dict], source: str) -> int:
    now = timezone.now()
    found = []
    for row in rows:
        words = scope.matches(row)
        if words is not None:
            found.append(
                TopicTicket(
                    topic=topic,
                    ticket_id=row["pk"],
                    source=source,
                    words=list(words),
                    tagged_at=now,
                )  # fmt: skip
            )
    if (
        source == TagSource.RETRO
        and len(found) > 1
        and not TopicTicket.objects.filter(
            topic=topic, ticket_id__gte=rows[0]["pk"], ticket_id__lte=rows[-1]["pk"]
        ).exists()
    ):
        # The retroactive pass over a range nothing tagged yet: COPY on PostgreSQL (through
        # bulk_create the insert was a quarter of the pass). New tickets are tagged at intake
        # too, so the sweep's batches keep bulk_create's ON CONFLICT.
        fastinsert.insert_many(found)
    else:
        TopicTicket.objects.bulk_create(found, ignore_conflicts=True)
    return len(found)


def backfill(topic: Topic, *, batch: int = BATCH) -> int:
    """Tag the tickets that existed when the topic was made; progress is saved per batch."""
    scope = Scope(topic)
    tagged = 0
    while True:
        rows = _rows(scope, topic.backfill_done, topic.backfill_upto, batch)
        with transaction.atomic():
            if rows:
                tagged += _tag(topic, scope, rows, TagSource.RETRO)
                topic.backfill_done = rows[-1]["pk"]
                topic.backfill_scanned += len(rows)
                Topic.objects.filter(pk=topic.pk).update(
                    backfill_done=topic.backfill_done, backfill_scanned=topic.backfill_scanned
                )
            else:
                topic.backfill_finished_at = timezone.now()
                Topic.objects.filter(pk=topic.pk).update(
                    backfill_finished_at=topic.backfill_finished_at
                )
                return tagged


def tag_new(topic: Topic, *, batch: int = BATCH) -> int:
    """Tag the tickets registered since the topic's last check."""
    scope = Scope(topic)
    tagged = 0
    while rows := _rows(scope, topic.checked_up_to, None, batch):
        with transaction.atomic():
            tagged += _tag(topic, scope, rows, TagSource.ARRIVAL)
            topic.checked_up_to = rows[-1]["pk"]
            Topic.objects.filter(pk=topic.pk).update(checked_up_to=topic.checked_up_to)
    return tagged


def tag_ticket(ticket: Ticket) -> list[Topic]:
    """Tag one just-registered ticket with every active topic it matches (at intake, so the
    agent sees the topic at once; the sweep would find it within seconds anyway)."""
    row = {
        "pk": ticket.pk, "title": ticket.title, "content": ticket.content,
        "category_id": ticket.category_id, "region_id": ticket.region_id,
        "center_id": ticket.center_id, "created_at": ticket.created_at,
    }  # fmt: skip
    hits = []
    for topic in Topic.objects.filter(is_active=True).select_related("center__region"):
        if _tag(topic, Scope(topic), [row], TagSource.ARRIVAL):
            hits.append(topic)
    return hits
