"""Pages of bulk exports (hotline/audit/exports.py): the requester's requests and downloads,
the approvers' queue, and the center administrator's threshold."""

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hotline.errors import HotlineError, InvalidInput
from hotline.orgs.models import Role
from hotline.throttle import client_address
from hotline.tickets.models import Status
from hotline.web.common import role_required

from . import exports
from .models import DEFAULT_EXPORT_THRESHOLD, ExportRequest, ExportState

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _address(request):
    return client_address(request) or None


def _mine(request):
    return ExportRequest.objects.filter(requester=request.user).order_by("-created_at", "-pk")


@role_required(*exports.REQUEST_ROLES)
def requests_page(request):
    """数据导出: ask for an export of a filtered list; one's own requests and their state."""
    unit = request.role_memberships[0].unit
    error, status, form = None, 200, request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            exports.create(
                user=request.user, unit=unit, data=request.POST, reason=request.POST.get("reason", ""),
                full=request.POST.get("full") == "1", address=_address(request),
            )  # fmt: skip
            return redirect("audit:exports")
        except HotlineError as exc:
            error, status = exc, exc.status
    return _requests(request, error, status, form)


def _requests(request, error, status, form):
    center = exports.center_of(request.role_memberships[0].unit)
    ctx = {
        "rows": _mine(request)[:100],
        "error": error,
        "form": form,
        "statuses": Status.choices,
        "threshold": exports.threshold_of(center) if center else None,
        "center": center,
        "may_full": any(m.role in exports.REVEAL_ROLES for m in request.role_memberships),
    }
    return render(request, "audit/exports.html", ctx, status=status)


@role_required(*exports.REQUEST_ROLES)
def progress(request, pk):
    """Fragment: one request's state and progress, polled while it builds."""
    req = _mine(request).filter(pk=pk).first()
    if req is None:
        raise Http404
    return render(request, "audit/export_state.html", {"r": req})


@role_required(*exports.REQUEST_ROLES)
@require_POST
def download(request, pk):
    """The one download of a built export (POST: spending the link is a change)."""
    try:
        handle, req = exports.download(user=request.user, pk=pk, address=_address(request))
    except HotlineError as exc:
        if exc.status == 404:
            raise Http404 from None
        return _requests(request, exc, exc.status, {})
    stamp = timezone.localtime(req.downloaded_at).strftime("%Y%m%d%H%M")
    name = f"export-{req.pk}-{stamp}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


@role_required(*exports.APPROVER_ROLES)
def queue(request):
    """导出审批: the requests of one's own center, those waiting first."""
    return _queue(request, None)


def _queue(request, error):
    qs = exports.visible_requests(request.user)
    ctx = {
        "pending": qs.filter(state=ExportState.PENDING).order_by("created_at", "pk"),
        "decided": qs.exclude(state=ExportState.PENDING)
        .filter(needs_approval=True)
        .order_by("-decided_at", "-pk")[:50],
        "error": error,
    }
    status = error.status if error else 200
    return render(request, "audit/export_queue.html", ctx, status=status)


def _decide(request, pk, action):
    try:
        action(request, pk)
    except HotlineError as exc:
        if exc.status == 404:
            raise Http404 from None
        return _queue(request, exc)
    return redirect("audit:export_queue")


@role_required(*exports.APPROVER_ROLES)
@require_POST
def approve(request, pk):
    return _decide(
        request, pk, lambda r, p: exports.approve(user=r.user, pk=p, address=_address(r))
    )


@role_required(*exports.APPROVER_ROLES)
@require_POST
def refuse(request, pk):
    return _decide(
        request,
        pk,
        lambda r, p: exports.refuse(
            user=r.user, pk=p, reason=r.POST.get("refusal", ""), address=_address(r)
        ),
    )


@role_required(Role.ADMIN)
def settings_page(request):
    """导出审批阈值: the administrator's centers and their thresholds."""
    centers = [m.unit for m in request.role_memberships if m.unit.is_center]
    error, status = None, 200
    if request.method == "POST":
        chosen = next((c for c in centers if c.code == request.POST.get("center")), None)
        try:
            if chosen is None:
                raise InvalidInput("请选择本人管理的热线中心",
                                           "choose a center you administer", field="center")  # fmt: skip
            exports.set_threshold(user=request.user, center=chosen,
                                  value=request.POST.get("threshold", ""))  # fmt: skip
            return redirect("audit:export_settings")
        except HotlineError as exc:
            error, status = exc, exc.status
    rows = [(c, exports.threshold_of(c)) for c in centers]
    ctx = {"rows": rows, "error": error, "default": DEFAULT_EXPORT_THRESHOLD,
           "max": exports.MAX_THRESHOLD}  # fmt: skip
    return render(request, "audit/export_settings.html", ctx, status=status)
