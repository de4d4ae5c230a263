"""Supervisor view (效能督查): overdue, due-soon and flagged tickets in scope; Excel/CSV export."""

import csv
import io

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hotline.catalog.models import AppealType, Urgency
from hotline.orgs.models import READONLY_ROLES, Region
from hotline.tickets import deadlines
from hotline.tickets.models import Status

from . import queues
from .common import is_htmx, role_required
from .export import EXPORT_LIMIT, over_limit, xlsx_response
from .listing import capped_count, paginate, rows_with_deadlines

DUE_SOON_SCAN = 2_000
COLUMNS = [
    "工单编号",
    "标题",
    "状态",
    "诉求类型",
    "紧急程度",
    "区划",
    "责任中心",
    "主办单位",
    "受理时间",
    "时限",
    "时限状态",
    "督办",
]


def _filters(request):
    g = request.GET
    return {
        "tab": g.get("tab", "overdue"),
        "urgency": g.get("urgency", ""),
        "appeal_type": g.get("appeal_type", ""),
        "region": g.get("region", ""),
        "unit": g.get("unit", ""),
        "q": g.get("q", "").strip(),
    }


def _rows(request, f):
    """The filtered tickets, soonest deadline first."""
    if f["tab"] not in queues.SUPERVISE_TABS:
        raise Http404
    qs = queues.supervise_queue(request.user, f["tab"])
    if f["urgency"] in Urgency.values:
        qs = qs.filter(urgency=f["urgency"])
    if f["appeal_type"] in AppealType.values:
        qs = qs.filter(appeal_type=f["appeal_type"])
    if f["region"]:
        region = Region.objects.filter(code=f["region"]).first()
        qs = qs.filter(region__path__startswith=region.path) if region else qs.none()
    if f["unit"]:
        qs = qs.filter(lead_unit__code=f["unit"])
    if f["q"]:
        qs = qs.filter(title__contains=f["q"]) | qs.filter(number=f["q"])
    qs = queues.sort(qs, "deadline")
    if f["tab"] == "due_soon":
        return queues.due_soon(qs, DUE_SOON_SCAN)
    return qs


@role_required(*READONLY_ROLES)
def board(request):
    f = _filters(request)
    found = _rows(request, f)
    page = paginate(found, request.GET.get("page", 1))
    region = request.role_memberships[0].unit.region if request.role_memberships else None
    ctx = {
        "f": f,
        "tabs": queues.SUPERVISE_TABS,
        "page": page,
        "rows": rows_with_deadlines(page.object_list),
        "urgencies": Urgency.choices,
        "appeal_types": AppealType.choices,
        "regions": Region.objects.filter(parent=region).order_by("code") if region else [],
        "query": request.GET.urlencode(),
        "total": capped_count(found),
    }
    template = "web/partials/supervise_table.html" if is_htmx(request) else "web/supervise.html"
    return render(request, template, ctx)


@role_required(*READONLY_ROLES)
def export(request):
    """The filtered list as an .xlsx file, or CSV with ?format=csv (at most EXPORT_LIMIT rows)."""
    f = _filters(request)
    found = _rows(request, f)
    if refused := over_limit(request, found):
        return refused
    if not isinstance(found, list):
        found = found[:EXPORT_LIMIT]
    now = timezone.now()
    rows = [COLUMNS]
    for t in found:
        state, deadline = deadlines.state(t, now)
        rows.append(
            [
                t.number,
                t.title,
                Status(t.status).label,
                t.get_appeal_type_display(),
                t.get_urgency_display(),
                t.region.name if t.region_id else "",
                t.center.name,
                t.lead_unit.name if t.lead_unit_id else "",
                timezone.localtime(t.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M") if deadline else "",
                deadlines.LABELS[state],
                "是" if t.is_supervised else "",
            ]
        )
    stem = f"supervision-{f['tab']}-{timezone.localtime(now):%Y%m%d%H%M}"
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 CSV as Chinese only with the BOM
        # A title that starts like a formula must not run in the reader's spreadsheet.
        csv.writer(out).writerows(
            [["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in r] for r in rows]
        )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    return xlsx_response(
        sheet=queues.SUPERVISE_TABS[f["tab"]], header=COLUMNS, rows=rows[1:], stem=stem
    )
