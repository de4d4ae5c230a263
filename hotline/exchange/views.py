"""110 linkage pages: the center's list of hand-overs (overdue acknowledgements first) and the
hand-over form on the ticket page. Out of scope is 404 (rule 2)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hotline.errors import HotlineError
from hotline.orgs import scope

from . import police, police_alerts


@login_required
def board(request):
    """The hand-overs of tickets the user may see, overdue acknowledgements first."""
    if not request.user.is_superuser and not scope.memberships(request.user):
        raise Http404
    rows = police_alerts.board_rows(request.user)
    overdue = sum(1 for r in rows if r["overdue"])
    return render(request, "exchange/police_board.html", {"rows": rows, "overdue": overdue})


@login_required
@require_POST
def hand_over(request, number):
    """Hand the ticket to a police partner from the ticket page; back to the page after."""
    ticket = scope.visible_tickets(request.user).filter(number=number).first()
    if ticket is None:
        raise Http404
    try:
        link, created = police.hand_over(
            ticket=ticket,
            by=request.user,
            partner=request.POST.get("partner", ""),
            contact=request.POST.get("contact", ""),
            summary=request.POST.get("summary", ""),
        )
    except HotlineError as exc:
        messages.error(request, f"移交未完成：{exc.message_zh}", extra_tags="police")
    else:
        done = "已移交" if created else "该工单已移交该公安系统，尚未办结"
        messages.success(request, f"{done}（移交编号 {link.reference}）", extra_tags="police")
    return redirect(reverse("web:ticket", args=[ticket.number]) + "#police")
