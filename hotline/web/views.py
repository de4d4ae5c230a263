"""The entry page: who I am, where I work, what is waiting in my scope."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

from hotline.orgs import scope
from hotline.tickets.models import OPEN_STATUSES, Status


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
