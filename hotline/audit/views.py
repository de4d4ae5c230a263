"""Pages: the explicit "show in full" action on a ticket, and the security auditor's access
log with its CSV/Excel export."""

import csv
import io
from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from hotline.errors import HotlineError
from hotline.orgs.models import Role
from hotline.throttle import client_address
from hotline.web.common import role_required, visible_ticket

from . import exports, services
from .models import PARTNER_PREFIX, PersonalField

MAX_ROWS = 50_000
HEADER = ["查看时间", "查看人", "工单编号", "字段", "查看理由", "来源地址"]


@login_required
@require_POST
def reveal(request, number):
    """The full name/phone of the ticket's citizen, with a reason; logged (404 out of scope)."""
    ticket = visible_ticket(request, number)
    try:
        values = services.reveal(
            user=request.user, ticket=ticket, fields=request.POST.getlist("fields"),
            reason=request.POST.get("reason", ""), address=client_address(request) or None,
        )  # fmt: skip
    except HotlineError as exc:
        return render(request, "audit/revealed.html", {"error": exc}, status=exc.status)
    shown = [(PersonalField(f).label, v) for f, v in values.items()]
    return render(request, "audit/revealed.html", {"shown": shown, "ticket": ticket})


def _rows(request):
    qs = services.visible_log(request.user)
    start, end = request.GET.get("from", ""), request.GET.get("to", "")
    who = request.GET.get("user", "").strip()
    try:
        if start:
            qs = qs.filter(at__gte=timezone.make_aware(datetime.combine(_day(start), time.min)))
        if end:
            qs = qs.filter(at__lte=timezone.make_aware(datetime.combine(_day(end), time.max)))
    except ValueError:
        qs = qs.none()
    if who:
        code = who.removeprefix(PARTNER_PREFIX)
        qs = qs.filter(Q(user__username=who) | Q(partner__code=code))
    return qs.order_by("-at", "-pk")


def _day(text):
    return datetime.strptime(text, "%Y-%m-%d").date()


def _line(v) -> list[str]:
    at = timezone.localtime(v.at).strftime("%Y-%m-%d %H:%M:%S")
    return [at, v.viewer, v.ticket_number, v.get_field_display(), v.reason, v.address or ""]


@role_required(Role.SECURITY_AUDITOR)
def access_log(request):
    """个人信息访问日志: newest first, filtered by day and user."""
    rows = list(_rows(request)[:500])
    events = exports.visible_events(request.user).order_by("-at", "-pk")[:200]
    ctx = {"rows": rows, "query": request.GET, "export_events": events}
    return render(request, "audit/access_log.html", ctx)


@role_required(Role.SECURITY_AUDITOR)
def access_log_export(request):
    """The filtered log as CSV (default) or Excel (?format=xlsx)."""
    lines = [HEADER] + [_line(v) for v in _rows(request)[:MAX_ROWS].iterator(chunk_size=2000)]
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    if request.GET.get("format") == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("访问日志")
        for line in lines:
            sheet.append(line)
        data = io.BytesIO()
        book.save(data)
        resp = HttpResponse(
            data.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"access-log-{stamp}.xlsx"
    else:
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel reads UTF-8 CSV as Chinese only with the BOM
        # A reason starting like a formula must not run in the auditor's spreadsheet.
        csv.writer(buffer).writerows(
            [[("'" + c if c[:1] in "=+-@" else c) for c in line] for line in lines]
        )
        resp = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"access-log-{stamp}.csv"
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp
