"""Excel (.xlsx, openpyxl) of the lists a role sees: the same rows, scope and masking as the page."""

from io import BytesIO

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from hotline.errors import HotlineError
from hotline.exchange.export import refuse_over_limit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The most rows one download carries; a longer list is narrowed with the page's filters first.
EXPORT_LIMIT = 50_000
# A cell that starts like a formula would run in the reader's spreadsheet (CSV/XLSX injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def over_limit(request, found) -> HttpResponse | None:
    """A page telling the user to ask on 数据导出 when `found` exceeds their center's threshold
    (issue 18: bulk exports need approval); None when the list may be downloaded as is."""
    try:
        refuse_over_limit(request.user, found)
    except HotlineError as exc:
        return render(request, "web/export_refused.html", {"error": exc}, status=exc.status)
    return None


def _safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def local_minute(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def xlsx_response(*, sheet: str, header: list[str], rows, stem: str) -> HttpResponse:
    """An .xlsx download of `rows` under a bold `header`, named `stem`.xlsx."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    head = []
    for title in header:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True)
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([_safe(v) for v in row])
    out = BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response
