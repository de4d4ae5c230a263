"""话务监控 (wallboard): a center's (and the centers below it) or the province's live picture.

The page renders the snapshot, then listens to the wallboard's topic; each call or agent change
makes it fetch the snapshot again (debounced in the browser), so the figures always come from
the one query in hotline.calls.wallboard and never drift from what a reload would show.
"""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from hotline.orgs.models import Unit, UnitKind
from hotline.realtime import topics
from hotline.web.common import role_required

from . import conf, wallboard

PROVINCE = "province"


def _watchable(request) -> list[Unit]:
    """The centers the user may watch: their own wallboard centers and the centers below."""
    own = [m.unit for m in request.role_memberships if m.unit.is_center]
    found = {}
    for center in own:
        for unit in Unit.objects.filter(
            path__startswith=center.path, kind__in=(UnitKind.CENTER, UnitKind.SUBCENTER)
        ).select_related("region"):
            found[unit.pk] = unit
    return sorted(found.values(), key=lambda u: u.path)


def _chosen(request):
    """(center or None for the province, topic); 404 for anything out of scope."""
    wanted = request.GET.get("center", "")
    user = request.user
    if wanted == PROVINCE or (not wanted and topics.sees_province(user)):
        if not topics.sees_province(user):
            raise Http404
        return None, topics.PROVINCE
    if not wanted:
        wanted = str(next(m.unit.pk for m in request.role_memberships if m.unit.is_center))
    if not wanted.isdigit():
        raise Http404
    center = Unit.objects.filter(pk=int(wanted), is_active=True).select_related("region").first()
    if center is None or not topics.may_watch_center(user, center):
        raise Http404
    return center, topics.center_topic(center.pk)


def _snapshot(center) -> dict:
    return {
        **wallboard.snapshot(center),
        "service_level_seconds": conf.service_level_seconds(),
    }


@role_required(*topics.WALLBOARD_ROLES)
def board(request):
    center, topic = _chosen(request)
    choices = _watchable(request)
    query = f"?center={center.pk}" if center else f"?center={PROVINCE}"
    return render(
        request,
        "calls/wallboard.html",
        {
            "center": center,
            "choices": choices,
            "province": topics.sees_province(request.user),
            "snapshot": _snapshot(center),
            "stream_url": f"{reverse('realtime:stream')}?topic={topic}",
            "data_url": reverse("calls:wallboard_data") + query,
        },
    )


@role_required(*topics.WALLBOARD_ROLES)
def data(request):
    """The snapshot as JSON, for the page's live refresh."""
    center, _ = _chosen(request)
    return JsonResponse(_snapshot(center))
