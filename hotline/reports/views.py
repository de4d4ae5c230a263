"""Report pages: the list of monthly and quarterly reports of the user's regions, the
downloads (made on first request and kept), and the dashboard page."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from hotline.catalog.calendar import to_local
from hotline.errors import HotlineError
from hotline.orgs.models import Region

from . import periods, service
from .access import may_read, report_regions

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
}


def _readable_regions(user) -> list[Region]:
    """The user's top regions and the regions one level below each (a city's counties)."""
    tops = report_regions(user)
    if not tops:
        raise Http404  # a handling unit has no reports: they do not exist for it
    out = []
    for r in tops:
        out.append(r)
        out.extend(Region.objects.filter(parent=r).order_by("code"))
    return out


def _region(user, code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None or not may_read(user, region):
        raise Http404
    return region


def _chosen(request):
    """(the regions the user may read, the one asked for in ?region= or the first)."""
    regions = _readable_regions(request.user)
    if request.GET.get("region"):
        return regions, _region(request.user, request.GET["region"])
    return regions, regions[0]


@login_required
def index(request):
    regions, region = _chosen(request)
    today = to_local(timezone.now()).date()
    listing = []
    for kind, count in ((periods.MONTHLY, 12), (periods.QUARTERLY, 4)):
        for p in periods.recent(kind, today, count):
            made = service.cached(p, region)
            listing.append({"period": p, "made": made and to_local(made),
                            "running": p == periods.recent(kind, today, 0)[0]})  # fmt: skip
    return render(request, "reports/index.html", {
        "regions": regions, "region": region, "listing": listing,
        "kinds": periods.KINDS,
    })  # fmt: skip


def _period(kind: str, key: str) -> periods.Period:
    try:
        return periods.parse(kind, key)
    except HotlineError:
        raise Http404 from None


# The stored HTML report carries its own stylesheet (it is also read as a file, offline);
# its styles may be inline, its scripts still may not.
@csp_update({"style-src": [UNSAFE_INLINE]})
@login_required
def download(request, code: str, kind: str, key: str, fmt: str):
    region = _region(request.user, code)
    period = _period(kind, key)
    docx_path, html_path = service.ensure(period, region)
    path = docx_path if fmt == "docx" else html_path
    as_file = fmt == "docx" or request.GET.get("download") == "1"
    return FileResponse(open(path, "rb"), as_attachment=as_file, filename=path.name,
                        content_type=CONTENT_TYPES[fmt])  # fmt: skip


@require_POST
@login_required
def regenerate(request, code: str, kind: str, key: str):
    region = _region(request.user, code)
    service.ensure(_period(kind, key), region, refresh=True)
    return redirect(f"{reverse('reports:index')}?region={region.code}")


@login_required
def dashboard_page(request):
    regions, region = _chosen(request)
    context = {
        "region": region,
        "regions": regions,
        "refresh_ms": settings.DASHBOARD_REFRESH_SECONDS * 1000,
    }
    return render(request, "reports/dashboard.html", context)
