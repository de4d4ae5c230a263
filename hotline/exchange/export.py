"""Export of a filtered ticket list, within the user's scope, to CSV or Excel."""

import csv
import io

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

from hotline.audit.models import direct_export_limit
from hotline.dbrouter import stale_reads
from hotline.errors import ErrorCode, Forbidden
from hotline.tickets.api import filter_tickets, ticket_out

MAX_ROWS = 100_000  # a bigger export belongs to the reports, not to a list page

COLUMNS = [
    ("number", "工单编号"),
    ("status_label", "状态"),
    ("channel", "来源渠道"),
    ("external_ref", "外部编号"),
    ("appeal_type", "诉求类型"),
    ("urgency", "紧急程度"),
    ("category_name", "诉求分类"),
    ("region_name", "所属区划"),
    ("title", "标题"),
    ("content", "诉求内容"),
    ("citizen_name", "诉求人"),
    ("citizen_phone", "联系电话"),
    ("address", "地址"),
    ("center", "责任中心"),
    ("lead_unit", "主办单位"),
    ("created_at", "受理时间"),
    ("handle_deadline", "办理时限"),
    ("deadline_label", "时限状态"),
    ("satisfaction", "满意度"),
]


def cell(value):
    if isinstance(value, dict):  # a unit
        return value["name"]
    if hasattr(value, "astimezone"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if value is None:
        return ""
    text = str(value)
    # A citizen's text that starts like a formula must not run in the reader's spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def refuse_over_limit(user, found) -> None:
    """A list's own export link carries at most the user's center threshold of rows; a longer
    export is asked for on 数据导出 and approved there (hotline/audit/exports.py)."""
    limit = direct_export_limit(user)
    count = len(found[: limit + 1]) if isinstance(found, list) else found[: limit + 1].count()
    if count > limit:
        raise Forbidden(
            f"导出超过 {limit} 行须经审批：请在“数据导出”页面（/audit/exports/）提交导出申请",
            f"an export of more than {limit} rows needs approval: ask on /audit/exports/",
            field="filters",
            code=ErrorCode.LIMIT_EXCEEDED,
        )


def rows(user, filters):
    """Header, then one row per ticket (newest first); citizens masked as on screen (issue 18)."""
    qs = filter_tickets(user, filters).select_related(
        "center", "lead_unit", "category", "region", "merged_into"
    )
    now = timezone.now()
    yield [label for _, label in COLUMNS]
    for t in qs.order_by("-pk")[:MAX_ROWS].iterator(chunk_size=2000):
        out = ticket_out(user, t, now)
        yield [cell(out[key]) for key, _ in COLUMNS]


@stale_reads()  # an export may lag the primary by seconds (docs/ha.md)
def response(user, filters, fmt: str) -> HttpResponse:
    refuse_over_limit(user, filter_tickets(user, filters))
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel reads UTF-8 CSV as Chinese only with the BOM
        csv.writer(buffer).writerows(rows(user, filters))
        resp = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("工单")
        for row in rows(user, filters):
            sheet.append(row)
        data = io.BytesIO()
        book.save(data)
        resp = HttpResponse(
            data.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    resp["Content-Disposition"] = f'attachment; filename="tickets-{stamp}.{fmt}"'
    return resp
