"""Pages of 暗访 (field checks) and 典型曝光 bulletins. Outside the user's scope, or for a user
with no part in them, a page is 404; bad input re-renders the form with the reason."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hotline.catalog.calendar import LOCAL_TZ
from hotline.errors import HotlineError, InvalidInput, NotFound
from hotline.orgs import scope

from . import bulletins, cases, field_checks, services
from .models import BulletinState, CheckKind, CheckPhoto

CANDIDATE_DAYS = 31
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _local(value: str, field: str):
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=LOCAL_TZ) if value else None
    except ValueError:
        raise InvalidInput("时间格式应为 YYYY-MM-DD HH:MM", f"{field} must be a date and time",
                           field=field) from None  # fmt: skip


def _supervisor_only(request):
    if not field_checks.is_supervisor(request.user):
        raise Http404


def _checks_page(request, status=200, **extra):
    return render(request, "supervision/field_checks.html", {
        "checks": field_checks.visible_checks(request.user)[:200], "kinds": CheckKind.choices,
        "units": field_checks.checked_units(request.user).order_by("path")[:500],
        "now": timezone.localtime(timezone.now(), LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
        **extra,
    }, status=status)  # fmt: skip


@login_required
def checks(request):
    _supervisor_only(request)
    return _checks_page(request)


def _refs(request, p):
    """The unit, ticket and item the form names; one outside the scope is not found."""
    unit = ticket = item = None
    if p.get("unit"):
        unit = field_checks.checked_units(request.user).filter(code=p["unit"]).first()
        if unit is None:
            raise NotFound("单位不存在或不在辖区内", "no such unit", field="unit")
    if p.get("ticket"):
        ticket = scope.visible_tickets(request.user).filter(number=p["ticket"].strip()).first()
        if ticket is None:
            raise NotFound("工单不存在", "no such ticket", field="ticket")
    if p.get("item"):
        if not p["item"].isdigit():
            raise InvalidInput("督办事项编号须为数字", "item must be a number", field="item")
        item = services.get_item(request.user, int(p["item"]))
    return unit, ticket, item


@login_required
@require_POST
def record(request):
    _supervisor_only(request)
    p = request.POST
    try:
        unit, ticket, item = _refs(request, p)
        check = field_checks.record(
            by=request.user, kind=p.get("kind", ""), unit=unit, ticket=ticket, item=item,
            checked_at=_local(p.get("checked_at", ""), "checked_at"),
            findings=p.get("findings", ""), phone_number=p.get("phone_number", ""),
            answered_by=p.get("answered_by", ""), ring_seconds=p.get("ring_seconds"),
            place=p.get("place", ""), score=p.get("score"),
        )  # fmt: skip
    except HotlineError as exc:
        return _checks_page(request, exc.status, error=exc, form=p)
    return redirect("supervision:field_check", check_id=check.pk)


def _check(request, check_id):
    try:
        return field_checks.get_check(request.user, check_id)
    except HotlineError:
        raise Http404 from None


def _check_page(request, check, status=200, **extra):
    return render(request, "supervision/field_check.html",
                  {"c": check, "photos": check.photos.order_by("id"), **extra},
                  status=status)  # fmt: skip


@login_required
def check_detail(request, check_id):
    return _check_page(request, _check(request, check_id))


@login_required
@require_POST
def check_action(request, check_id, action):
    check = _check(request, check_id)
    try:
        if action == "photos":
            field_checks.add_photo(check=check, by=request.user, upload=request.FILES.get("file"))
        elif action == "supervise":
            field_checks.open_supervision(
                check=check, by=request.user, reason=request.POST.get("reason", ""),
                deadline=_local(request.POST.get("deadline", ""), "deadline"),
            )  # fmt: skip
        elif action == "propose":
            field_checks.propose_accountability(check=check, by=request.user,
                                                reason=request.POST.get("reason", ""))  # fmt: skip
        else:
            raise Http404
    except HotlineError as exc:
        return _check_page(request, _check(request, check_id), exc.status, error=exc,
                           action=action, form=request.POST)  # fmt: skip
    return redirect("supervision:field_check", check_id=check.pk)


@login_required
def photo(request, photo_id):
    p = CheckPhoto.objects.filter(pk=photo_id).select_related("field_check").first()
    if (
        p is None
        or not field_checks.visible_checks(request.user).filter(pk=p.field_check_id).exists()
    ):
        raise Http404
    return FileResponse(p.file.open("rb"), as_attachment=True, filename=p.name,
                        content_type=p.content_type)  # fmt: skip


def _bulletins_page(request, status=200, **extra):
    qs = bulletins.visible_bulletins(request.user).order_by("-created_at", "-id")
    centers = bulletins.drafting_centers(request.user)
    if not centers and not qs.exists():
        raise Http404
    return render(request, "supervision/bulletins.html",
                  {"bulletins": qs[:200], "centers": centers, **extra}, status=status)  # fmt: skip


@login_required
def bulletin_list(request):
    return _bulletins_page(request)


@login_required
@require_POST
def bulletin_create(request):
    if not bulletins.drafting_centers(request.user):
        raise Http404
    center = next((c for c in bulletins.drafting_centers(request.user)
                   if c.code == request.POST.get("center")), None)  # fmt: skip
    try:
        b = bulletins.create(by=request.user, title=request.POST.get("title", ""), center=center)
    except HotlineError as exc:
        return _bulletins_page(request, exc.status, error=exc, form=request.POST)
    return redirect("supervision:bulletin", bulletin_id=b.pk)


def _bulletin(request, bulletin_id):
    try:
        return bulletins.get_bulletin(request.user, bulletin_id)
    except HotlineError:
        raise Http404 from None


def _bulletin_page(request, b, status=200, **extra):
    editable = b.state == BulletinState.DRAFT and b.center in bulletins.drafting_centers(
        request.user
    )
    chosen = set(b.cases.values_list("source", "ref"))
    found = {}
    if editable:
        since = timezone.now() - dt.timedelta(days=CANDIDATE_DAYS)
        found = {
            label: [c for c in rows if (c.source, c.ref) not in chosen]
            for label, rows in cases.candidates(request.user, since).items()
        }
    return render(request, "supervision/bulletin.html", {
        "b": b, "cases": b.cases.select_related("unit", "ticket"), "editable": editable,
        "candidates": found, "states": BulletinState, "days": CANDIDATE_DAYS, **extra,
    }, status=status)  # fmt: skip


@login_required
def bulletin_detail(request, bulletin_id):
    return _bulletin_page(request, _bulletin(request, bulletin_id))


@login_required
@require_POST
def bulletin_action(request, bulletin_id, action):
    b = _bulletin(request, bulletin_id)
    p = request.POST
    try:
        if action == "cases":
            ref = p.get("ref", "")
            if not ref.isdigit():
                raise InvalidInput("请选择案例", "choose a case", field="ref")
            bulletins.add_case(bulletin=b, by=request.user, source=p.get("source", ""),
                               ref=int(ref), why_wrong=p.get("why_wrong", ""))  # fmt: skip
        elif action == "remove":
            case = p.get("case", "")
            bulletins.remove_case(bulletin=b, by=request.user,
                                  case_id=int(case) if case.isdigit() else 0)  # fmt: skip
        elif action == "submit":
            bulletins.submit(bulletin=b, by=request.user)
        elif action in ("approve", "send_back"):
            bulletins.decide(bulletin=b, by=request.user, approve=action == "approve",
                             note=p.get("note", ""))  # fmt: skip
        elif action == "issue":
            bulletins.issue(bulletin=b, by=request.user)
        else:
            raise Http404
    except HotlineError as exc:
        return _bulletin_page(request, _bulletin(request, bulletin_id), exc.status, error=exc,
                              form=p)  # fmt: skip
    return redirect("supervision:bulletin", bulletin_id=b.pk)


@login_required
def bulletin_docx(request, bulletin_id):
    b = _bulletin(request, bulletin_id)
    if b.state != BulletinState.ISSUED:
        raise Http404
    response = HttpResponse(bytes(b.document), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="bulletin-{b.pk}.docx"'
    return response
