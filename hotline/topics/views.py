"""Topic pages: the list and the form to define one, the board with the ledger, the weekly
brief (Word). Out of scope is 404."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hotline.catalog.calendar import LOCAL_TZ
from hotline.errors import HotlineError, InvalidInput
from hotline.orgs.models import Unit

from . import board, brief, services

LEDGER = 200


def _split(value: str) -> list[str]:
    return [
        w for w in value.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if w
    ]


def _local_dt(value: str, field: str):
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise InvalidInput(
            "时间格式应为 YYYY-MM-DD", f"{field} must be a date", field=field
        ) from None


def _home_context(request, **extra):
    topics = list(services.visible_topics(request.user).order_by("-id"))
    centers = services.definable_centers(request.user)
    if not topics and not centers:
        raise Http404
    return {"topics": topics, "centers": centers, **extra}


@login_required
def home(request):
    return render(request, "topics/home.html", _home_context(request))


@login_required
@require_POST
def create(request):
    p = request.POST
    center = Unit.objects.filter(code=p.get("center", ""), is_active=True).first()
    if center is None or center not in services.definable_centers(request.user):
        raise Http404
    try:
        topic = services.create_topic(
            center=center, by=request.user, name=p.get("name", ""),
            keywords=_split(p.get("keywords", "")), category_codes=_split(p.get("categories", "")),
            region_codes=_split(p.get("regions", "")),
            starts_at=_local_dt(p.get("starts_at", ""), "starts_at"),
            ends_at=_local_dt(p.get("ends_at", ""), "ends_at"),
            limit_days=p.get("limit_days") or None,
            mandatory_supervision=p.get("mandatory_supervision") == "on",
        )  # fmt: skip
    except HotlineError as exc:
        ctx = _home_context(request, error=exc.message_zh, form=p)
        return render(request, "topics/home.html", ctx, status=exc.status)
    return redirect("topics:board", topic_id=topic.pk)


def _topic(request, topic_id):
    try:
        return services.get_topic(request.user, topic_id)
    except HotlineError:
        raise Http404 from None


@login_required
def board_page(request, topic_id):
    topic = _topic(request, topic_id)
    ctx = {
        "topic": topic,
        "figures": board.figures(request.user, topic),
        "ledger": services.ledger(request.user, topic)[:LEDGER],
        "week": board.last_monday(),
    }
    return render(request, "topics/board.html", ctx)


@login_required
def brief_download(request, topic_id):
    topic = _topic(request, topic_id)
    try:
        monday = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        monday = board.last_monday()
    monday -= dt.timedelta(days=monday.weekday())
    body = brief.render(request.user, topic, monday)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = f'attachment; filename="topic-{topic.pk}-{monday}.docx"'
    return response
