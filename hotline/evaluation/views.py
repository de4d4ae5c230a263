"""Scorecard pages (考评): every figure with its fraction and definition, ranked by peers, and
a drill-down from every figure to its tickets."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.errors import HotlineError
from hotline.screening.models import ReplyReview

from . import accountability, call_figures, drilldown, notice, scorecards
from .api import units_for
from .figures import FIGURES

PAGE = 100


def _period(request) -> str:
    return request.GET.get("period") or to_local(timezone.now()).strftime("%Y-%m")


def _units(request):
    units = units_for(request.user).exclude(kind__in=["center", "subcenter"])
    if not units.exists():
        raise Http404
    return units


@login_required
def page(request):
    period = _period(request)
    units = _units(request)
    error, cards, center_calls = None, [], []
    try:
        cards = scorecards.compute(units.order_by("code")[:2000], period)
        center_calls = call_figures.compute(units_for(request.user), period)
    except HotlineError as exc:
        error = exc.message_zh
    cards.sort(key=scorecards.listed)
    rows = [
        {"card": c, "figures": [(f, c.counts[f.name], _shown(c, f)) for f in FIGURES]}
        for c in cards
    ]
    return render(request, "evaluation/scorecards.html", {
        "period": period, "rows": rows, "error": error, "figures": FIGURES,
        "center_calls": [(c.unit.name, [c.shown(k) for k, _, _ in call_figures.COLUMNS])
                         for c in center_calls],
        "call_definitions": call_figures.definitions(),
    })  # fmt: skip


def _shown(card, figure) -> str:
    if figure.kind == "count":
        return str(card.counts[figure.name][0])
    value = card.quality if figure.kind == "score" else card.rate(figure.name)
    if value is None:
        return "—"
    return f"{value}" if figure.kind == "score" else f"{value}%"


@login_required
def drill(request, unit_code: str, figure: str):
    period = _period(request)
    unit = _units(request).filter(code=unit_code).first()
    if unit is None:
        raise Http404
    part = request.GET.get("part", "numerator")
    try:
        offset = max(int(request.GET.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    try:
        result = drilldown.tickets(unit, period, figure, part, user=request.user, limit=PAGE,
                                   offset=offset)  # fmt: skip
    except HotlineError as exc:
        if exc.field == "figure":
            raise Http404 from None
        return render(request, "evaluation/drill.html", {"error": exc.message_zh, "unit": unit,
                                                         "period": period}, status=400)  # fmt: skip
    scores = {}
    if figure == "quality":
        for ticket_id, score in ReplyReview.objects.filter(
            ticket_id__in=[t.pk for t in result.rows]
        ).values_list("ticket_id", "score"):
            scores.setdefault(ticket_id, []).append(score)
    rows = [(t, scores.get(t.pk, [])) for t in result.rows]
    return render(request, "evaluation/drill.html", {
        "page": result, "rows": rows, "unit": unit, "period": period, "parts": drilldown.PARTS,
        "offset": offset, "next": offset + PAGE if offset + PAGE < result.total else None,
        "prev": max(offset - PAGE, 0) if offset else None,
    })  # fmt: skip


def _accountability(request):
    """(period, issuing center, entries or error) for a center's supervisor; 404 for others."""
    centers = accountability.supervisor_centers(request.user)
    if not centers and not request.user.is_superuser:
        raise Http404
    period = _period(request)
    issuer = centers[0].name if centers else "12345政务服务便民热线"
    try:
        return (
            period,
            issuer,
            accountability.entries(accountability.units_in_scope(request.user), period),
            None,
        )
    except HotlineError as exc:
        return period, issuer, [], exc.message_zh


@login_required
def accountability_page(request):
    period, issuer, entries, error = _accountability(request)
    return render(request, "evaluation/accountability.html", {
        "period": period, "issuer": issuer, "entries": entries, "error": error,
        "facts": accountability.FACTS, "minimum": accountability.UNJUSTIFIED_MIN,
    }, status=400 if error else 200)  # fmt: skip


@login_required
def accountability_notice(request):
    period, issuer, entries, error = _accountability(request)
    if error:
        return render(request, "evaluation/accountability.html", {
            "period": period, "error": error, "facts": accountability.FACTS,
        }, status=400)  # fmt: skip
    body = notice.build(entries=entries, period=period, issuer=issuer,
                        day=to_local(timezone.now()).date())  # fmt: skip
    response = HttpResponse(
        body,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="accountability-{period}.docx"'
    return response
