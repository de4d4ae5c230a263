"""A topic's board and weekly figures, over the tickets the reader may see (rule 2)."""

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from hotline.catalog.calendar import LOCAL_TZ
from hotline.tickets.deadlines import overdue_q
from hotline.tickets.models import OPEN_STATUSES, Status, Ticket

from . import services
from .models import Topic


def week_bounds(monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(monday, dt.time(), tzinfo=LOCAL_TZ)
    return start, start + dt.timedelta(days=7)


def last_monday(now=None) -> dt.date:
    today = timezone.localtime(now or timezone.now(), LOCAL_TZ).date()
    return today - dt.timedelta(days=today.weekday())


def figures(user, topic: Topic, *, start=None, end=None, now=None) -> dict:
    """Counts of the topic's tickets (all, or registered in [start, end)): total, open,
    closed, overdue, supervised; by status and by lead unit."""
    rows = services.ledger(user, topic)
    if start is not None:
        rows = rows.filter(ticket__created_at__gte=start, ticket__created_at__lt=end)
    tickets = rows.values("ticket")
    qs = Ticket.objects.filter(pk__in=tickets)
    status_label = dict(Status.choices)
    agg = qs.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        closed=Count("pk", filter=Q(status=Status.CLOSED)),
        overdue=Count("pk", filter=overdue_q(now)),
        supervised=Count("pk", filter=Q(is_supervised=True)),
    )
    by_status = [
        (status_label.get(r["status"], r["status"]), r["n"])
        for r in qs.values("status").annotate(n=Count("pk")).order_by("-n", "status")
    ]
    by_unit = [
        (r["lead_unit__name"] or "未派单", r["n"])
        for r in qs.values("lead_unit__name").annotate(n=Count("pk")).order_by("-n")[:10]
    ]
    return {**agg, "by_status": by_status, "by_unit": by_unit}
