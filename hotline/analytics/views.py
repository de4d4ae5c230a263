"""Pages: early warnings with their evidence and tickets, and hot topics of a period."""

import datetime as dt

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.dbrouter import stale_reads
from hotline.errors import InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import Role
from hotline.tickets.models import Ticket
from hotline.web.common import role_required

from .models import WarningKind
from .series import local_midnight
from .topics import hot_topics
from .warnings import recent_warnings

# Center staff read warnings of their region; units read those their own tickets are part of.
VIEWERS = (Role.SUPERVISOR, Role.ANALYST, Role.DISPATCHER, Role.ADMIN, Role.HANDLER, Role.LEADER)
MAX_DAYS = 366
TOPIC_MEMBERS_SHOWN = 20


def _int(value, field, default, low, high, zh):
    if value in (None, ""):
        return default
    try:
        n = int(value)
    except ValueError:
        n = None
    if n is None or not low <= n <= high:
        raise InvalidInput(f"{zh}应为 {low}–{high} 的整数", f"{field} must be an integer {low}–{high}",
                           field=field)  # fmt: skip
    return n


def _date(value, field, default, zh):
    if value in (None, ""):
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{zh}格式应为 YYYY-MM-DD", f"{field} must be YYYY-MM-DD", field=field
        ) from None


@role_required(*VIEWERS)
@stale_reads()  # analytics may lag the primary by seconds (docs/ha.md)
def warnings_page(request):
    today = to_local(timezone.now()).date()
    error, items, days = None, [], 7
    kind = request.GET.get("kind", "")
    try:
        days = _int(request.GET.get("days"), "days", 7, 1, MAX_DAYS, "天数")
        qs = recent_warnings(request.user, today - dt.timedelta(days=days - 1))
        if kind in WarningKind.values:
            qs = qs.filter(kind=kind)
        items = list(qs[:200])
    except InvalidInput as exc:
        error = exc.message_zh
    return render(request, "analytics/warnings.html", {
        "items": items, "days": days, "kind": kind, "kinds": WarningKind.choices, "error": error,
    })  # fmt: skip


@role_required(*VIEWERS)
def warning_detail(request, pk: int):
    warning = recent_warnings(request.user, dt.date.min).filter(pk=pk).first()
    if warning is None:
        raise Http404
    tickets = (
        scope.visible_tickets(request.user)
        .filter(pk__in=warning.tickets.values("id"))
        .select_related("region", "category")
        .order_by("-created_at")[:500]
    )
    return render(request, "analytics/warning.html", {"w": warning, "tickets": tickets})


@role_required(*VIEWERS)
@stale_reads()
def topics_page(request):
    today = to_local(timezone.now()).date()
    error, topics = None, []
    start, end = today - dt.timedelta(days=29), today
    try:
        start = _date(request.GET.get("start"), "start", start, "开始日期")
        end = _date(request.GET.get("end"), "end", end, "结束日期")
        if end < start or (end - start).days >= MAX_DAYS:
            raise InvalidInput("结束日期应不早于开始日期，且跨度不超过一年",
                               "end must not precede start; at most one year", field="end")  # fmt: skip
        visible = scope.visible_tickets(request.user)
        topics = hot_topics(visible, local_midnight(start),
                            local_midnight(end + dt.timedelta(days=1)), limit=10)  # fmt: skip
    except InvalidInput as exc:
        error = exc.message_zh
    shown = {k for t in topics for k in t.keys[:TOPIC_MEMBERS_SHOWN]}
    numbers = dict(Ticket.objects.filter(pk__in=shown).values_list("id", "number"))
    rows = [{"t": t, "numbers": [numbers[k] for k in t.keys[:TOPIC_MEMBERS_SHOWN] if k in numbers]}
            for t in topics]  # fmt: skip
    return render(request, "analytics/topics.html", {
        "rows": rows, "start": start, "end": end, "error": error,
        "sampled": next((t.scale for t in topics if t.scale > 1), None),
    })  # fmt: skip
