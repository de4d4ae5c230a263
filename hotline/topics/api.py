"""Topics API (专题与重点群体): define topics, follow their tagging, list their ledger; set and
read citizen marks on a ticket (only where the ticket is visible, rule 2)."""

import datetime as dt

from ninja import Router, Schema
from pydantic import Field

from hotline.errors import NotFound
from hotline.orgs import scope
from hotline.orgs.models import Unit
from hotline.tickets.schemas import ErrorOut

from . import services
from .models import Topic

router = Router(tags=["专题与重点群体 topics"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}  # fmt: skip


class TopicIn(Schema):
    center: str = Field(..., description="中心单位编码")
    name: str
    keywords: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list, description="诉求分类编码")
    regions: list[str] = Field(default_factory=list, description="行政区划代码")
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    limit_days: int | None = Field(None, description="专题办理时限（工作日）")
    mandatory_supervision: bool = False


class TopicOut(Schema):
    id: int
    center: str
    name: str
    keywords: list[str]
    categories: list[str]
    regions: list[str]
    limit_days: int | None
    mandatory_supervision: bool
    is_active: bool
    progress: int = Field(..., description="存量回溯进度（%）")
    backfill_finished: bool
    tagged: int


class LedgerOut(Schema):
    ticket: str
    title: str
    status: str
    source: str
    words: list[str]
    lead_unit: str | None
    handle_deadline: dt.datetime | None
    is_supervised: bool


class MarksIn(Schema):
    kinds: list[str]


class MarkOut(Schema):
    kind: str
    label: str
    source: str


class MarksOut(Schema):
    marks: list[MarkOut]
    callback_by_phone: bool


def topic_out(t: Topic) -> dict:
    return {
        "id": t.pk, "center": t.center.code, "name": t.name, "keywords": t.keywords,
        "categories": sorted(t.categories.values_list("code", flat=True)),
        "regions": sorted(t.regions.values_list("code", flat=True)),
        "limit_days": t.limit_days, "mandatory_supervision": t.mandatory_supervision,
        "is_active": t.is_active, "progress": t.progress,
        "backfill_finished": t.backfill_finished_at is not None, "tagged": t.tagged.count(),
    }  # fmt: skip


@router.post("/topics", response={201: TopicOut, **ERRORS}, summary="设立专题")
def create(request, payload: TopicIn):
    """Define a topic; its past tickets are tagged in the background (see `progress`)."""
    center = Unit.objects.filter(code=payload.center, is_active=True).first()
    if center is None or not center.is_center:
        raise NotFound("中心不存在", "no such center", field="center")
    t = services.create_topic(
        center=center, by=request.auth, name=payload.name, keywords=payload.keywords,
        category_codes=payload.categories, region_codes=payload.regions,
        starts_at=payload.starts_at, ends_at=payload.ends_at, limit_days=payload.limit_days,
        mandatory_supervision=payload.mandatory_supervision,
    )  # fmt: skip
    return 201, topic_out(t)


@router.get("/topics", response={200: list[TopicOut], **ERRORS}, summary="专题列表")
def topics(request):
    return [topic_out(t) for t in services.visible_topics(request.auth).order_by("-id")]


@router.get("/topics/{topic_id}", response={200: TopicOut, **ERRORS}, summary="专题")
def topic(request, topic_id: int):
    return topic_out(services.get_topic(request.auth, topic_id))


@router.get("/topics/{topic_id}/tickets", response={200: list[LedgerOut], **ERRORS},
            summary="专题台账")  # fmt: skip
def topic_tickets(request, topic_id: int, limit: int = 200):
    t = services.get_topic(request.auth, topic_id)
    rows = services.ledger(request.auth, t)[: max(1, min(limit, 1000))]
    return [
        {"ticket": r.ticket.number, "title": r.ticket.title, "status": r.ticket.status,
         "source": r.source, "words": r.words,
         "lead_unit": r.ticket.lead_unit.code if r.ticket.lead_unit else None,
         "handle_deadline": r.ticket.handle_deadline, "is_supervised": r.ticket.is_supervised}
        for r in rows
    ]  # fmt: skip


def _ticket(request, number: str):
    t = scope.visible_tickets(request.auth).filter(number=number).first()
    if t is None:
        raise NotFound("工单不存在", "no such ticket", field="number")
    return t


def marks_out(t) -> dict:
    marks = services.marks_of(t)
    return {
        "marks": [{"kind": m.kind, "label": m.get_kind_display(), "source": m.source}
                  for m in marks],
        "callback_by_phone": bool(marks),
    }  # fmt: skip


@router.get("/tickets/{number}/marks", response={200: MarksOut, **ERRORS}, summary="重点群体标注")
def marks(request, number: str):
    return marks_out(_ticket(request, number))


@router.post("/tickets/{number}/marks", response={200: MarksOut, **ERRORS},
             summary="标注重点群体")  # fmt: skip
def set_marks(request, number: str, payload: MarksIn):
    t = _ticket(request, number)
    services.set_marks(ticket=t, by=request.auth, kinds=payload.kinds)
    return marks_out(t)
