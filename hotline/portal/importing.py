"""The center's import pages (/import/): upload, map the columns, dry run, import, progress.

Only a center's system administrators import (they own the center's data); anyone else
signed in gets 403, and a job of another center does not exist for them (404).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from hotline.catalog.models import AppealType, Category
from hotline.errors import HotlineError, InvalidInput
from hotline.exchange import imports
from hotline.exchange.models import ImportJob, ImportState
from hotline.orgs import scope
from hotline.orgs.models import Region, RegionLevel, Role
from hotline.tickets.models import Channel

from . import importjobs

MAX_UPLOAD = 50 * 1024 * 1024
PREVIEW_ROWS = 5
IMPORT_ROLES = {Role.ADMIN}


def import_membership(user):
    """The user's administrator membership at a hotline center, or None."""
    for m in scope.memberships(user):
        if m.role in IMPORT_ROLES and m.unit.is_center:
            return m
    return None


def _center_or_403(request):
    m = import_membership(request.user)
    if m is None:
        raise PermissionDenied("只有热线中心的系统管理员可以导入历史工单")
    return m.unit


def _job(request, pk):
    center = _center_or_403(request)
    job = get_object_or_404(ImportJob.objects.select_related("center"), pk=pk)
    if not job.center.is_within(center):
        raise Http404
    return job


def _regions(center):
    """The center's region and the cities and counties below it (default region choices)."""
    levels = [RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY]
    return Region.objects.filter(path__startswith=center.region.path, level__in=levels).order_by(
        "path"
    )


def _upload_form(request, center, status=200, **extra):
    return render(
        request,
        "portal/import/upload.html",
        {
            "center": center,
            "regions": _regions(center),
            "categories": Category.objects.filter(is_active=True, level=1).order_by("code"),
            "appeals": AppealType.choices,
            "channels": Channel.choices,
            "jobs": ImportJob.objects.filter(center=center)[:20],
            "values": request.POST.dict() if request.method == "POST" else {"channel": "web"},
            **extra,
        },
        status=status,
    )


def _options(post, center) -> dict:
    region = post.get("region", "")
    if region and not _regions(center).filter(code=region).exists():
        raise InvalidInput(
            "默认区划不在本中心辖区内", "region outside the center's area", field="region"
        )
    category = post.get("category", "")
    if category and not Category.objects.filter(pk=category, is_active=True).exists():
        raise InvalidInput("默认分类不存在", "unknown category", field="category")
    if post.get("appeal_type", "help") not in AppealType.values:
        raise InvalidInput("诉求类型无效", "unknown appeal_type", field="appeal_type")
    if post.get("channel", "web") not in Channel.values:
        raise InvalidInput("来源渠道无效", "unknown channel", field="channel")
    return {
        "region": region,
        "category": int(category) if category else None,
        "appeal_type": post.get("appeal_type", "help"),
        "channel": post.get("channel", "web"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    center = _center_or_403(request)
    if request.method == "GET":
        return _upload_form(request, center)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput("请选择文件", "file is required", field="file")
        if upload.size > MAX_UPLOAD:
            raise InvalidInput("文件不能超过50MB", "file larger than 50 MB", field="file")
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise InvalidInput("只支持 .csv 和 .xlsx 文件", "only .csv and .xlsx", field="file")
        source = request.POST.get("source", "").strip()
        if not imports.SOURCE_RE.match(source):
            raise InvalidInput(
                "来源标识须为1–24位字母、数字、-、_ 或 .", "bad source", field="source"
            )
        options = _options(request.POST, center)
        path = importjobs.store_upload(upload)
        try:
            table = imports.read_table(path)
        except HotlineError:
            path.unlink(missing_ok=True)
            raise
    except HotlineError as exc:
        return _upload_form(request, center, 400, error=exc.message_zh, error_field=exc.field)
    job = ImportJob.objects.create(
        created_by=request.user,
        center=center,
        filename=upload.name[:200],
        path=str(path),
        headers=table.headers,
        mapping=imports.suggest(table.headers),
        options=options,
        source=source,
        total=table.total,
    )
    return redirect("portal_import:job", pk=job.pk)


def _job_page(request, job, status=200, **extra):
    preview = []
    try:
        for _n, cells in imports.read_table(job.path).rows():
            preview.append([imports._text(c)[:60] for c in cells])
            if len(preview) >= PREVIEW_ROWS:
                break
    except (HotlineError, OSError):
        pass
    columns = [
        {"i": i, "header": h, "field": job.mapping.get(h, "")} for i, h in enumerate(job.headers)
    ]
    return render(
        request,
        "portal/import/job.html",
        {"job": job, "columns": columns, "fields": imports.FIELDS, "preview": preview, **extra},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def job(request, pk):
    job = _job(request, pk)
    if request.method == "GET":
        return _job_page(request, job)
    if job.busy:
        return _job_page(request, job, 409, error="任务正在进行，请稍候")
    action = request.POST.get("action")
    if action == "check":
        mapping = {h: request.POST.get(f"map_{i}", "") for i, h in enumerate(job.headers)}
        mapping = {h: f for h, f in mapping.items() if f}
        try:
            imports.check_mapping(mapping, job.headers)
        except HotlineError as exc:
            job.mapping = mapping  # shown back as chosen, not saved
            return _job_page(request, job, 400, error=exc.message_zh)
        with transaction.atomic():
            job.mapping = mapping
            job.save(update_fields=["mapping"])
            importjobs.start(job, dry_run=True)
    elif action == "run":
        if job.state not in (ImportState.CHECKED, ImportState.DONE):
            return _job_page(request, job, 409, error="请先试运行，确认错误后再导入")
        with transaction.atomic():
            importjobs.start(job, dry_run=False)
    else:
        return _job_page(request, job, 400, error="未知操作")
    return redirect("portal_import:job", pk=job.pk)


@login_required
def progress(request, pk):
    return render(request, "portal/import/progress.html", {"job": _job(request, pk)})
