"""Unit inbox (承办单位): what the unit must acknowledge, handle, and what is late."""

from django.http import Http404
from django.shortcuts import render

from hotline.orgs.models import UNIT_ROLES

from . import queues
from .common import is_htmx, role_required
from .listing import capped_count, paginate, rows_with_deadlines

DUE_SOON_SCAN = 500


@role_required(*UNIT_ROLES)
def inbox(request):
    tab = request.GET.get("tab", "ack")
    if tab not in queues.INBOX_TABS:
        raise Http404
    unit = request.role_memberships[0].unit
    user = request.user

    def rows_of(key):
        qs = queues.sort(queues.inbox_queue(user, unit, key), "deadline")
        if key == "due_soon":
            return queues.due_soon(qs, DUE_SOON_SCAN)
        return qs

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
