"""Quality pages: the checker's worklist and draw form, the agent's results and appeal, the
item page (score, appeal, decide) and the monthly figures. Out of scope is 404."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hotline.catalog.calendar import to_local
from hotline.errors import HotlineError, InvalidInput

from . import access, figures, sampling, services
from .models import Appeal, AppealState, ItemState, ScoreKind

LIST = 200


def _month(request) -> str:
    return request.GET.get("month") or to_local(timezone.now()).strftime("%Y-%m")


@login_required
def home(request):
    user, month = request.user, _month(request)
    centers = access.checker_centers(user)
    figure_centers = list(access.figure_centers(user).order_by("code"))
    own = access.visible_items(user).filter(agent=user)
    if not centers and not figure_centers and not access.is_agent(user) and not own.exists():
        raise Http404
    items = access.visible_items(user).filter(sample__center_id__in=centers)
    mine = own.exclude(state=ItemState.PENDING).order_by("-sample__week", "id")[:LIST]
    own_centers = own.values("sample__center_id")
    ctx = {
        "month": month,
        "checker_centers": [c for c in figure_centers if c.pk in centers],
        "figure_centers": figure_centers,
        "week": sampling.last_week(),
        "todo": items.filter(state=ItemState.PENDING).exclude(agent=user)
        .order_by("sample__week", "id")[:LIST],
        "appeals": items.filter(state=ItemState.APPEALED).exclude(agent=user)
        .exclude(scores__kind=ScoreKind.FIRST, scores__checker=user).order_by("id")[:LIST],
        "mine": mine,
        "my_score": figures.agent_scores(own_centers, month, agent=user),
        "is_agent": access.is_agent(user) or own.exists(),
    }  # fmt: skip
    return render(request, "quality/home.html", ctx)


def _item_or_404(request, item_id):
    item = access.visible_items(request.user).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def _item_context(request, item, error=None):
    user = request.user
    scores = list(item.scores.select_related("checker").order_by("id"))
    for s in scores:
        s.rows = list(s.lines.select_related("line").order_by("line__order", "line_id"))
    checker = services.is_checker(user, item.sample.center_id) and user.pk != item.agent_id
    first = next((s for s in scores if s.kind == ScoreKind.FIRST), None)
    return {
        "item": item, "scores": scores, "error": error,
        "appeal": Appeal.objects.filter(item=item).first(),
        "rubric": services.rubric(item.sample.center),
        "may_score": checker and item.state == ItemState.PENDING,
        "may_appeal": user.pk == item.agent_id and item.state == ItemState.SCORED,
        "may_decide": checker and item.state == ItemState.APPEALED
        and first is not None and first.checker_id != user.pk,
        "recording": item.call.recording if item.call_id else "",
        "stratum": sampling.stratum_text(item.stratum) if item.stratum else "",
    }  # fmt: skip


@login_required
def item_page(request, item_id: int):
    item = _item_or_404(request, item_id)
    return render(request, "quality/item.html", _item_context(request, item))


def _lines(request, rubric) -> list[dict]:
    # Only the lines the checker filled in: a missing one is the service's clear error.
    out = []
    for line in rubric:
        raw = request.POST.get(f"points_{line.code}", "").strip()
        if raw:
            out.append({"line": line.code, "points": raw,
                        "note": request.POST.get(f"note_{line.code}", "")})  # fmt: skip
    return out


def _act(request, item_id, action, done):
    item = _item_or_404(request, item_id)
    try:
        action(item)
    except HotlineError as exc:
        ctx = _item_context(request, item, error=exc.message_zh)
        return render(request, "quality/item.html", ctx, status=exc.status)
    messages.success(request, done)
    return redirect("quality:item", item_id=item.pk)


@require_POST
@login_required
def score(request, item_id: int):
    def run(item):
        lines = _lines(request, services.rubric(item.sample.center))
        services.score_item(item=item, by=request.user, lines=lines,
                            comment=request.POST.get("comment", ""))  # fmt: skip

    return _act(request, item_id, run, "评分已保存")


@require_POST
@login_required
def appeal(request, item_id: int):
    def run(item):
        services.appeal(item=item, by=request.user, reason=request.POST.get("reason", ""))

    return _act(request, item_id, run, "申诉已提交，等待另一名质检员复核")


@require_POST
@login_required
def decide(request, item_id: int):
    def run(item):
        found = Appeal.objects.filter(item=item, state=AppealState.PENDING).first()
        if found is None:
            raise Http404
        lines = _lines(request, services.rubric(item.sample.center))
        services.decide(appeal=found, by=request.user, lines=lines,
                        comment=request.POST.get("comment", ""))  # fmt: skip

    return _act(request, item_id, run, "复核已完成")


@require_POST
@login_required
def draw(request):
    center = (
        access.figure_centers(request.user)
        .filter(pk__in=access.checker_centers(request.user), code=request.POST.get("center", ""))
        .first()
    )
    if center is None:
        raise Http404
    try:
        week = _date(request.POST.get("week", ""))
        sample = sampling.draw(center=center, week=week, by=request.user)
    except HotlineError as exc:
        messages.error(request, exc.message_zh)
        return redirect("quality:home")
    messages.success(request, f"已抽取 {sample.week} 这一周的样本：{sample.items.count()} 件")
    return redirect("quality:home")


def _date(value: str):
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("请填写抽查周（周一的日期）", "week must be a date",
                           field="week") from None  # fmt: skip


@login_required
def monthly(request):
    month = _month(request)
    centers = access.figure_centers(request.user).order_by("code")
    center = centers.filter(code=request.GET.get("center", "")).first() or centers.first()
    if center is None:
        raise Http404
    try:
        line = figures.center_line([center.pk], month)
        rows = figures.agent_scores([center.pk], month)
        error = None
    except HotlineError as exc:
        line, rows, error = None, [], exc.message_zh
    return render(request, "quality/monthly.html", {
        "month": month, "center": center, "centers": centers, "line": line, "rows": rows,
        "error": error,
    })  # fmt: skip
