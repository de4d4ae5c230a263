"""Review queue (审核): the reply beside the demand; approve, or send back with a reason."""

from django.shortcuts import render
from django.views.decorators.http import require_POST

from hotline.errors import HotlineError
from hotline.orgs.models import Role
from hotline.tickets import lifecycle

from . import advice, queues
from .common import is_htmx, role_required, visible_ticket
from .listing import paginate


@role_required(Role.REVIEWER)
def queue(request):
    qs = queues.review_queue(request.user, request.role_memberships).order_by("replied_at")
    page = paginate(qs, request.GET.get("page", 1))
    rows = list(page.object_list)
    auto = advice.reply_reviews(rows)  # the automatic review beside each reply
    for t in rows:
        t.auto = auto[t.pk]
    return render(request, "web/review.html", {"page": page, "rows": rows})


@require_POST
@role_required(Role.REVIEWER)
def decide(request, number):
    """Approve or send back one reply; the row is replaced by the outcome."""
    t = visible_ticket(request, number)
    decision = request.POST.get("decision")
    error = message = ""
    try:
        if decision == "approve":
            lifecycle.approve_reply(ticket=t, by=request.user, note=request.POST.get("note", ""))
            message = "已审核通过，转回访"
        elif decision == "reject":
            lifecycle.reject_reply(ticket=t, by=request.user, reason=request.POST.get("reason", ""))
            message = "已退回承办单位"
        else:
            error = "请选择审核结果"
    except HotlineError as exc:
        error = exc.message_zh
    ctx = {"t": visible_ticket(request, number), "message": message, "error": error}
    ctx["t"].auto = advice.reply_review(ctx["t"])
    if is_htmx(request):
        return render(request, "web/partials/review_row.html", ctx)
    return render(
        request, "web/review.html", {"rows": [ctx["t"]], **ctx}, status=400 if error else 200
    )
