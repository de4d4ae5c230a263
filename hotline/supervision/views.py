"""Pages: the supervision ledger (督办台账) with its Excel export, notifications and the bell."""

from io import BytesIO

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from hotline.catalog.calendar import to_local

from . import notify, services
from .models import ItemState, Notification

EXPORT_LIMIT = 50_000
COLUMNS = ["序号", "工单编号", "标题", "督办对象", "来源", "级别", "状态", "督办事由",
           "督办时间", "反馈时限", "反馈内容", "销号/升级说明"]  # fmt: skip


def _items(request):
    state = request.GET.get("state", "")
    qs = services.visible_items(request.user).order_by("-opened_at", "-id")
    if state in ItemState.values:
        qs = qs.filter(state=state)
    return state, qs


@login_required
def ledger(request):
    state, qs = _items(request)
    return render(request, "supervision/ledger.html", {
        "state": state, "states": ItemState.choices, "items": qs[:200],
        "counts": services.state_counts(request.user),
    })  # fmt: skip


def _fmt(moment):
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@login_required
def export(request):
    _state, qs = _items(request)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("督办台账")
    ws.append(COLUMNS)
    for n, i in enumerate(qs[:EXPORT_LIMIT].iterator(chunk_size=2000), start=1):
        ws.append([n, i.ticket.number, i.ticket.title, i.target_unit.name, i.get_source_display(),
                   i.get_level_display(), i.get_state_display(), i.reason, _fmt(i.opened_at),
                   _fmt(i.deadline), i.answer, i.close_note])  # fmt: skip
    buf = BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="supervision-ledger.xlsx"'
    return response


@login_required
def notifications(request):
    qs = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    return render(request, "supervision/notifications.html", {"items": qs[:100]})


@login_required
@require_POST
def read_all(request):
    notify.mark_read(user=request.user)
    return redirect("supervision:notifications")


@login_required
def bell(request):
    """The header's bell, polled by htmx."""
    return render(request, "supervision/bell.html", {"unread": notify.unread_count(request.user)})
