"""Incident pages: the list and the declare form, one incident (口径 drafts and approval, the
live board, 并单, temporary agents), the desktop banner and the temporary agent's page.
The overflow pool, urgent reports and the staffing plan are in views_ops.py. Out of scope is
404; a refused action shows its Chinese message and changes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hotline.errors import HotlineError, NotFound
from hotline.tickets.api import _register_input
from hotline.tickets.schemas import RegisterIn

from . import access, grouping, services, temporary
from .models import Script


def _lines(value: str) -> list[str]:
    return [x.strip() for x in value.replace("，", "\n").replace(",", "\n").splitlines()]


def _incident(request, pk):
    try:
        return services.get_incident(request.user, pk)
    except NotFound:
        raise Http404 from None


def _done(request, action, ok: str, to):
    """Run a service call; its refusal is shown, not raised (nothing changed)."""
    try:
        result = action()
    except HotlineError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message_zh)
        return redirect(*to)
    messages.success(request, ok(result) if callable(ok) else ok)
    return redirect(*to)


@login_required
def home(request):
    if temporary.of(request.user) is not None:
        return redirect("incidents:temporary")
    incidents = services.visible_incidents(request.user)
    centers = access.manager_centers(request.user)
    if not (incidents or centers or request.user.is_superuser or access.center_agent(request.user)):
        raise Http404
    return render(request, "incidents/home.html", {"incidents": incidents, "centers": centers})


@require_POST
@login_required
def declare(request):
    p = request.POST
    return _done(
        request,
        lambda: services.declare(
            by=request.user, name=p.get("name", ""), regions=_lines(p.get("regions", "")),
            keywords=_lines(p.get("keywords", "")), examples=p.get("examples", "").splitlines(),
        ),
        lambda i: f"已宣布突发事件「{i.name}」",
        ("incidents:home",),
    )  # fmt: skip


@login_required
def detail(request, pk: int):
    incident = _incident(request, pk)
    manage = access.may_manage(request.user, incident)
    scripts = incident.scripts.select_related("written_by", "approved_by").order_by("-version")
    return render(request, "incidents/detail.html", {
        "incident": incident, "may_manage": manage,
        "script": services.current_script(incident),
        "scripts": scripts if manage else [],
        "groups": incident.groups.select_related("parent").order_by("-id")[:50],
        "temporary_agents": incident.temporary_agents.select_related("user") if manage else [],
        "board_url": f"/api/v1/incidents/{incident.pk}/board",
    })  # fmt: skip


@require_POST
@login_required
def write_script(request, pk: int):
    incident = _incident(request, pk)
    return _done(
        request,
        lambda: services.write_script(
            by=request.user, incident=incident, body=request.POST.get("body", "")
        ),  # fmt: skip
        lambda s: f"口径第 {s.version} 版已保存，待审批",
        ("incidents:detail", incident.pk),
    )


@require_POST
@login_required
def approve_script(request, pk: int, script_id: int):
    incident = _incident(request, pk)
    script = Script.objects.filter(pk=script_id, incident=incident).first()
    if script is None:
        raise Http404
    return _done(
        request,
        lambda: services.approve_script(by=request.user, script=script),
        lambda s: f"口径第 {s.version} 版已发布到座席桌面",
        ("incidents:detail", incident.pk),
    )


@require_POST
@login_required
def close(request, pk: int):
    incident = _incident(request, pk)
    return _done(request, lambda: services.close_incident(by=request.user, incident=incident),
                 "突发事件已结束", ("incidents:detail", incident.pk))  # fmt: skip


@require_POST
@login_required
def group(request, pk: int):
    incident = _incident(request, pk)

    return _done(request, lambda: grouping.group_tickets(by=request.user, incident=incident),
                 lambda r: f"并单完成：{len(r.groups)} 组，合并 {r.merged} 件，未能合并 {len(r.failed)} 件",
                 ("incidents:detail", incident.pk))  # fmt: skip


@require_POST
@login_required
def enroll(request, pk: int):
    incident = _incident(request, pk)
    p = request.POST
    return _done(
        request,
        lambda: temporary.enroll(by=request.user, incident=incident, username=p.get("username", ""),
                                 full_name=p.get("full_name", ""), phone=p.get("phone", "")),
        lambda r: f"已登记临时座席 {r[0].user.username}，初始密码：{r[1]}（仅显示一次）",
        ("incidents:detail", incident.pk),
    )  # fmt: skip


@login_required
def banner(request):
    """The desktop banner: every running incident the user sees, with its approved 口径."""
    rows = services.desktop_incidents(request.user)
    return render(request, "incidents/partials/banner_items.html", {"rows": rows})


FORM_FIELDS = ("title", "content", "citizen_name", "citizen_phone", "region", "address")


@login_required
def temporary_page(request):
    agent = temporary.of(request.user)
    if agent is None:
        raise Http404
    if request.method == "POST":
        data = {k: request.POST.get(k, "").strip() for k in FORM_FIELDS}
        data["region"] = data["region"] or None
        try:
            payload = RegisterIn(
                channel="phone", appeal_type=request.POST.get("appeal_type", "consult"), **data
            )
            t = temporary.register(by=request.user, data=_register_input(payload))
        except HotlineError as exc:
            messages.error(request, exc.message_zh)
        except ValueError:
            messages.error(request, "请填写标题和诉求内容")
        else:
            messages.success(request, f"已登记 {t.number}，等待中心审核受理")
        return redirect("incidents:temporary")
    return render(request, "incidents/temporary.html", {
        "agent": agent, "script": services.current_script(agent.incident),
        "tickets": temporary.own_tickets(request.user)[:100],
    })  # fmt: skip
