"""Operations pages of surges: overflow settings and the pool, urgent reports (raise,
acknowledge, the one list) and the staffing plan against the agents signed in."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hotline.errors import HotlineError, NotFound
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Unit, UnitKind, User

from . import access, overflow, staffing, urgent
from .models import OverflowRule, PoolMember
from .views import _done

STAFF_ROLES = CENTER_ROLES | READONLY_ROLES


def _staff_centers(user) -> list[Unit]:
    """Centers where `user` holds a center or read-only role, with every center below."""
    out: dict[int, Unit] = {}
    for m in scope.memberships(user):
        if m.unit.is_center and m.role in STAFF_ROLES:
            for u in Unit.objects.filter(
                path__startswith=m.unit.path, kind__in=(UnitKind.CENTER, UnitKind.SUBCENTER)
            ):
                out.setdefault(u.pk, u)
    return sorted(out.values(), key=lambda u: u.path)


@login_required
def pool(request):
    """Overflow thresholds and the pool of the centers the user manages."""
    centers = access.manager_centers(request.user)
    if not centers:
        raise Http404
    rows = []
    for c in centers:
        rule = OverflowRule.objects.filter(center=c).first()
        rows.append({"center": c, "rule": rule, "status": overflow.status(c)})
    members = PoolMember.objects.filter(home_center__in=centers).select_related("user")
    return render(request, "incidents/pool.html", {"rows": rows, "members": members})


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0  # the service refuses it with its own message


@require_POST
@login_required
def set_rule(request):
    center = next((c for c in access.manager_centers(request.user)
                   if c.code == request.POST.get("center")), None)  # fmt: skip
    if center is None:
        raise Http404
    p = request.POST
    return _done(
        request,
        lambda: overflow.set_rule(by=request.user, center=center,
                                  max_waiting=_int(p.get("max_waiting", "")),
                                  max_wait_seconds=_int(p.get("max_wait_seconds", "")),
                                  is_active=p.get("is_active") == "on"),
        "溢出阈值已保存",
        ("incidents:pool",),
    )  # fmt: skip


@require_POST
@login_required
def mark(request):
    if not access.manager_centers(request.user):
        raise Http404
    user = User.objects.filter(username=request.POST.get("username", "").strip()).first()

    def run():
        if user is None:
            raise NotFound("用户不存在", "no such user", field="username")
        return overflow.mark_agent(by=request.user, user=user,
                                   active=request.POST.get("active") != "0")  # fmt: skip

    try:
        member = run()
    except HotlineError as exc:
        messages.error(request, exc.message_zh)
    else:
        state = "加入" if member.is_active else "移出"
        messages.success(request, f"{user.username} 已{state}省级统筹座席池")
    return redirect("incidents:pool")


# ---- urgent reports --------------------------------------------------------------------------


@login_required
def reports(request):
    if not _staff_centers(request.user) and not request.user.is_superuser:
        raise Http404
    return render(request, "incidents/reports.html",
                  {"reports": urgent.province_list(request.user)[:200]})  # fmt: skip


def _people(value: str):
    try:
        return int(value or 0)
    except ValueError:
        return -1  # refused by the service with its clear message


@require_POST
@login_required
def raise_report(request):
    p = request.POST
    ticket = None
    if p.get("ticket", "").strip():
        ticket = scope.visible_tickets(request.user).filter(number=p["ticket"].strip()).first()
        if ticket is None:
            messages.error(request, "工单不存在")
            return redirect("incidents:reports")
    return _done(
        request,
        lambda: urgent.raise_report(by=request.user, what=p.get("what", ""),
                                    place=p.get("place", ""), people=_people(p.get("people")),
                                    risk=p.get("risk", ""), ticket=ticket),
        lambda r: f"紧急信息已报送至{r.at_center.name}",
        ("incidents:reports",),
    )  # fmt: skip


def _report(request, pk):
    r = urgent.visible(request.user).select_related("origin", "at_center").filter(pk=pk).first()
    if r is None:
        raise Http404
    return r


@login_required
def report(request, pk: int):
    r = _report(request, pk)
    return render(request, "incidents/report.html", {
        "report": r, "steps": r.steps.select_related("center", "user"),
        "merged": r.merged.select_related("origin"),
        "may_ack": r.state == "waiting" and urgent._staff_at(request.user, r.at_center),
    })  # fmt: skip


@require_POST
@login_required
def acknowledge(request, pk: int):
    r = _report(request, pk)
    return _done(
        request,
        lambda: urgent.acknowledge(by=request.user, report=r, note=request.POST.get("note", "")),
        "已签收",
        ("incidents:report", r.pk),
    )


# ---- the staffing plan -----------------------------------------------------------------------


@login_required
def staffing_page(request):
    centers = _staff_centers(request.user)
    center = next((c for c in centers if c.code == request.GET.get("center")), None)
    center = center or (centers[0] if centers else None)
    if center is None:
        raise Http404
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    slots, aht = staffing.plan(center, day)
    today = [s for s in slots if s.day == day]
    return render(request, "incidents/staffing.html", {
        "center": center, "centers": centers, "day": day, "slots": today, "aht": aht,
        "signed_in": staffing.signed_in(center), "now": staffing.needed_now(center),
    })  # fmt: skip
