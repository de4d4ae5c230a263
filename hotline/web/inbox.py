"""Unit inbox (承办单位): what the unit must acknowledge, handle, and what is late."""

from django.http import Http404
from django.shortcuts import render

from hotline.orgs.models import UNIT_ROLES
from hotline.tickets.models import Status

from . import queues
from .common import is_htmx, role_required
from .export import EXPORT_LIMIT, local_minute, over_limit, xlsx_response
from .listing import capped_count, paginate, rows_with_deadlines

DUE_SOON_SCAN = 500


def _tab(request) -> str:
    tab = request.GET.get("tab", "ack")
    if tab not in queues.INBOX_TABS:
        raise Http404
    return tab


def _rows_of(user, unit, key):
    qs = queues.sort(queues.inbox_queue(user, unit, key), "deadline")
    if key == "due_soon":
        return queues.due_soon(qs, DUE_SOON_SCAN)
    return qs


@role_required(*UNIT_ROLES)
def inbox(request):
    tab = _tab(request)
    unit = request.role_memberships[0].unit
    user = request.user

    def rows_of(key):
        return _rows_of(user, unit, key)

    tabs = []
    for key, label in queues.INBOX_TABS.items():
        found = rows_of(key)
        tabs.append((key, label, capped_count(found)))
    page = paginate(rows_of(tab), request.GET.get("page", 1))
    ctx = {
        "unit": unit,
        "tab": tab,
        "tabs": tabs,
        "page": page,
        "rows": rows_with_deadlines(page.object_list),
    }
    template = "web/partials/inbox_table.html" if is_htmx(request) else "web/inbox.html"
    return render(request, template, ctx)


EXPORT_COLUMNS = ["工单编号", "标题", "状态", "紧急程度", "区划", "受理时间", "时限", "剩余时间"]


@role_required(*UNIT_ROLES)
def export(request):
    """The inbox tab as shown, as an .xlsx file (the same queue, so the same scope)."""
    tab = _tab(request)
    unit = request.role_memberships[0].unit
    found = _rows_of(request.user, unit, tab)
    if refused := over_limit(request, found):
        return refused
    found = found[:EXPORT_LIMIT]
    rows = [
        [
            r["t"].number,
            r["t"].title,
            Status(r["t"].status).label,
            r["t"].get_urgency_display(),
            r["t"].region.name if r["t"].region_id else "",
            local_minute(r["t"].created_at),
            local_minute(r["deadline"]),
            r["state_label"],
        ]
        for r in rows_with_deadlines(found)
    ]
    return xlsx_response(
        sheet=f"{unit.name}{queues.INBOX_TABS[tab]}",
        header=EXPORT_COLUMNS,
        rows=rows,
        stem=f"inbox-{unit.code}-{tab}",
    )
