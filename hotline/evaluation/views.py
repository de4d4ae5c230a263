"""The scorecard page (考评): every rate with its numerator and denominator, ranked by peers."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.errors import HotlineError

from . import scorecards
from .api import units_for


@login_required
def page(request):
    period = request.GET.get("period") or to_local(timezone.now()).strftime("%Y-%m")
    units = units_for(request.user).exclude(kind__in=["center", "subcenter"])
    if not units.exists():
        raise Http404
    error, cards = None, []
    try:
        cards = scorecards.compute(units.order_by("code")[:2000], period)
    except HotlineError as exc:
        error = exc.message_zh
    cards.sort(key=lambda c: (c.unit.level, c.unit.kind, c.rank))
    rows = [
        {"card": c, "rates": [(label, c.counts[n], c.rate(n)) for n, label in scorecards.RATES]}
        for c in cards
    ]
    return render(request, "evaluation/scorecards.html", {
        "period": period, "rows": rows, "error": error, "labels": scorecards.RATES,
        "definitions": scorecards.__doc__,
    })  # fmt: skip
