"""Callback queue (回访): record resolved and satisfaction; unsatisfied reopens to the unit."""

from django.shortcuts import render
from django.views.decorators.http import require_POST

from hotline.errors import HotlineError
from hotline.orgs.models import Role
from hotline.tickets.models import Satisfaction

from . import actions, queues
from .common import is_htmx, role_required, visible_ticket
from .listing import paginate


@role_required(Role.CALLBACK)
def queue(request):
    qs = queues.callback_queue(request.user, request.role_memberships).order_by("updated_at")
    page = paginate(qs, request.GET.get("page", 1))
    return render(
        request,
        "web/callback.html",
        {"page": page, "rows": page.object_list, "satisfactions": Satisfaction.choices},
    )


@require_POST
@role_required(Role.CALLBACK)
def record(request, number):
    t = visible_ticket(request, number)
    error = message = ""
    try:
        t = actions.perform(request.user, t, "callback", request.POST)
        message = "已记录回访，工单已办结" if t.status == "closed" else "市民不满意，已重办"
    except HotlineError as exc:
        error = exc.message_zh
    ctx = {
        "t": visible_ticket(request, number),
        "message": message,
        "error": error,
        "satisfactions": Satisfaction.choices,
    }
    if is_htmx(request):
        return render(request, "web/partials/callback_row.html", ctx)
    return render(
        request, "web/callback.html", {"rows": [ctx["t"]], **ctx}, status=400 if error else 200
    )
