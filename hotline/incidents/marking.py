"""Marking: new demands checked against every active incident (words + classifier + region).

Runs as a periodic job of the worker (supervision.schedule) over the tickets registered since
the incident's last check (`Incident.checked_up_to`), so registration itself never waits for
it; `mark_new` is idempotent (the unique incident–ticket pair) and picks up where it stopped.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hotline.orgs.models import Region
from hotline.routing import services as routing
from hotline.tickets.models import Status, Ticket

from . import matching
from .models import Incident, IncidentState, IncidentTicket

BATCH = 2000


def rule_of(incident: Incident) -> matching.Rule:
    return matching.rule(
        keywords=incident.keywords,
        categories=incident.categories,
        examples=incident.examples,
        region_paths=[r.path for r in incident.regions.all()],
    )


def _closed_at_intake(t: dict) -> bool:
    # resolve_at_intake closes a demand at the very moment it is registered.
    return t["status"] == Status.CLOSED and t["closed_at"] == t["created_at"]


def mark_incident(incident: Incident, *, batch: int = BATCH) -> int:
    """Check the tickets registered since the last check; returns how many were marked."""
    r = rule_of(incident)
    region_ids = set()
    for path in r.region_paths:
        region_ids.update(Region.objects.filter(path__startswith=path).values_list("id", flat=True))
    paths = dict(Region.objects.filter(pk__in=region_ids).values_list("id", "path"))
    marked = 0
    while True:
        qs = Ticket.objects.filter(pk__gt=incident.checked_up_to).order_by("pk")
        rows = list(
            qs.values("pk", "title", "content", "region_id", "created_at", "status", "closed_at")[
                :batch
            ]
        )
        if not rows:
            return marked
        candidates = [
            t
            for t in rows
            if t["region_id"] in region_ids
            and t["created_at"] >= incident.starts_at
            and (incident.ends_at is None or t["created_at"] <= incident.ends_at)
        ]
        # A ticket marked already (直接办结 from the 口径) keeps its mark and is not counted.
        known = set(
            IncidentTicket.objects.filter(
                incident=incident, ticket_id__in=[t["pk"] for t in candidates]
            ).values_list("ticket_id", flat=True)
        )
        found = _matches(r, [t for t in candidates if t["pk"] not in known], paths)
        now = timezone.now()
        with transaction.atomic():
            IncidentTicket.objects.bulk_create(
                [
                    IncidentTicket(
                        incident=incident,
                        ticket_id=t["pk"],
                        source=m.source,
                        words=list(m.words),
                        at_intake=_closed_at_intake(t),
                        marked_at=now,
                        created_at=t["created_at"],
                    )
                    for t, m in found
                ],
                ignore_conflicts=True,
            )
            Incident.objects.filter(pk=incident.pk).update(checked_up_to=rows[-1]["pk"])
        incident.checked_up_to = rows[-1]["pk"]
        marked += len(found)


def _matches(r: matching.Rule, rows: list[dict], paths: dict) -> list[tuple[dict, matching.Match]]:
    found, unsure = [], []
    for t in rows:
        text = f"{t['title']} {t['content']}"
        m = matching.match(r, text=text, region_path=paths.get(t["region_id"]))
        if m is not None:
            found.append((t, m))
        elif r.categories:
            unsure.append(t)
    if unsure:
        # Only demands without a keyword are worth the classifier's time.
        _, predictions = routing.classify_many([(t["title"], t["content"]) for t in unsure])
        for t, p in zip(unsure, predictions, strict=True):
            m = matching.match(
                r,
                text=f"{t['title']} {t['content']}",
                region_path=paths.get(t["region_id"]),
                label=p.label,
                confidence=p.confidence,
            )
            if m is not None:
                found.append((t, m))
    return found


def mark_new() -> int:
    """The periodic job: every active incident checked against the new tickets."""
    total = 0
    for incident in Incident.objects.filter(state=IncidentState.ACTIVE).prefetch_related("regions"):
        total += mark_incident(incident)
    return total


def refresh_intake_marks(incident: Incident) -> int:
    """Tickets marked before their 直接办结 was known stay right: re-read closed-at-intake."""
    closed = Ticket.objects.filter(
        pk__in=IncidentTicket.objects.filter(incident=incident, at_intake=False).values(
            "ticket_id"
        ),
        status=Status.CLOSED,
        closed_at=F("created_at"),
    ).values("pk")
    return IncidentTicket.objects.filter(incident=incident, ticket_id__in=closed).update(
        at_intake=True
    )
