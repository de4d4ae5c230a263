"""The entry page, the unit/role switcher and the navigation counters."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hotline.orgs import scope
from hotline.tickets.models import OPEN_STATUSES, Status

from .common import SESSION_KEY
from .context import _nav


@login_required
def home(request):
    counts = dict(
        scope.visible_tickets(request.user)
        .filter(status__in=OPEN_STATUSES)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    queues = [(Status(s).label, s, counts.get(s, 0)) for s in OPEN_STATUSES]
    return render(
        request,
        "web/home.html",
        {"memberships": scope.memberships(request.user), "queues": queues},
    )


@require_POST
@login_required
def switch(request):
    """Work as another of my memberships; only my own active ones can be chosen."""
    try:
        wanted = int(request.POST.get("membership", ""))
    except ValueError:
        raise Http404 from None
    chosen = next((m for m in scope.memberships(request.user) if m.pk == wanted), None)
    if chosen is None:
        raise Http404
    request.session[SESSION_KEY] = chosen.pk
    return redirect("web:home")


@login_required
def nav_counts(request):
    """The navigation's counters alone, polled by htmx so that waiting work shows up."""
    return render(request, "web/partials/nav.html", {"shell": _nav(request)})
