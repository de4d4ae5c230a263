"""Quality API (质量抽查): draw a week's sample, score items, appeal, decide, monthly figures."""

import datetime as dt
from decimal import Decimal

from ninja import Query, Router, Schema
from pydantic import Field

from hotline.errors import NotFound
from hotline.orgs.models import Unit, User
from hotline.tickets.schemas import ErrorOut

from . import access, figures, sampling, services
from .models import Appeal, SampleItem

router = Router(tags=["质量抽查 quality"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}  # fmt: skip


class DrawIn(Schema):
    center: str = Field(..., description="中心单位编码")
    week: dt.date = Field(..., description="抽查周的周一")


class SampleOut(Schema):
    id: int
    center: str
    week: dt.date
    agents: int
    items: int


class LineIn(Schema):
    line: str = Field(..., description="评分项编码")
    points: int
    note: str = ""


class ScoreIn(Schema):
    lines: list[LineIn] = Field(default_factory=list)
    comment: str = ""


class AppealIn(Schema):
    reason: str = ""


class LineOut(Schema):
    line: str
    label: str
    points: int
    full: int
    fault: bool
    note: str


class ScoreOut(Schema):
    kind: str
    checker: str
    total: Decimal
    comment: str
    lines: list[LineOut]


class ItemOut(Schema):
    id: int
    week: dt.date
    center: str
    ticket: str
    title: str
    agent: str
    reason: str
    stratum: str
    state: str
    score: Decimal | None
    recording: str | None
    appeal: str | None


class ItemDetailOut(ItemOut):
    scores: list[ScoreOut]
    appeal_reason: str | None


def _item(user, item_id: int) -> SampleItem:
    item = access.visible_items(user).filter(pk=item_id).first()
    if item is None:
        raise NotFound("抽查工单不存在", "no such sampled item", field="item_id")
    return item


def item_out(i: SampleItem) -> dict:
    appeal = Appeal.objects.filter(item=i).first()
    return {
        "id": i.pk, "week": i.sample.week, "center": i.sample.center.code,
        "ticket": i.ticket.number, "title": i.ticket.title, "agent": i.agent.username,
        "reason": i.reason, "stratum": i.stratum, "state": i.state, "score": i.score,
        "recording": (i.call.recording or None) if i.call_id else None,
        "appeal": appeal.state if appeal else None,
    }  # fmt: skip


def detail_out(i: SampleItem) -> dict:
    scores = [
        {"kind": s.kind, "checker": s.checker.username, "total": s.total, "comment": s.comment,
         "lines": [{"line": sl.line.code, "label": sl.line.label, "points": sl.points,
                    "full": sl.line.points, "fault": sl.fault, "note": sl.note}
                   for sl in s.lines.select_related("line").order_by("line__order", "line_id")]}
        for s in i.scores.select_related("checker").order_by("id")
    ]  # fmt: skip
    appeal = Appeal.objects.filter(item=i).first()
    return item_out(i) | {"scores": scores, "appeal_reason": appeal.reason if appeal else None}


@router.post("/quality/samples", response={201: SampleOut, **ERRORS}, summary="抽取一周样本")
def draw(request, payload: DrawIn):
    """Draw the center's sample of a week (a Monday, ended); only its checkers may."""
    center = Unit.objects.filter(code=payload.center, is_active=True).first()
    if center is None or center.pk not in access.checker_centers(request.auth):
        raise NotFound("中心不存在", "no such center", field="center")
    s = sampling.draw(center=center, week=payload.week, by=request.auth)
    return 201, {"id": s.pk, "center": center.code, "week": s.week, "agents": s.agents,
                 "items": s.items.count()}  # fmt: skip


class ItemFilters(Schema):
    state: str | None = None
    mine: bool = Field(False, description="只看本人被抽查的工单")


@router.get("/quality/items", response={200: list[ItemOut], **ERRORS}, summary="抽查工单")
def items(request, filters: Query[ItemFilters]):
    qs = access.visible_items(request.auth).order_by("-sample__week", "id")
    if filters.mine:
        qs = qs.filter(agent=request.auth)
    if filters.state:
        qs = qs.filter(state=filters.state)
    return [item_out(i) for i in qs[:500]]


@router.get("/quality/items/{item_id}", response={200: ItemDetailOut, **ERRORS})
def item(request, item_id: int):
    return detail_out(_item(request.auth, item_id))


@router.post("/quality/items/{item_id}/score", response={200: ItemDetailOut, **ERRORS},
             summary="初评")  # fmt: skip
def score(request, item_id: int, payload: ScoreIn):
    i = _item(request.auth, item_id)
    services.score_item(item=i, by=request.auth, lines=[x.dict() for x in payload.lines],
                        comment=payload.comment)  # fmt: skip
    return detail_out(_item(request.auth, item_id))


@router.post("/quality/items/{item_id}/appeal", response={200: ItemDetailOut, **ERRORS},
             summary="申诉")  # fmt: skip
def appeal(request, item_id: int, payload: AppealIn):
    i = _item(request.auth, item_id)
    services.appeal(item=i, by=request.auth, reason=payload.reason)
    return detail_out(_item(request.auth, item_id))


@router.post("/quality/items/{item_id}/decide", response={200: ItemDetailOut, **ERRORS},
             summary="申诉复核")  # fmt: skip
def decide(request, item_id: int, payload: ScoreIn):
    i = _item(request.auth, item_id)
    found = Appeal.objects.filter(item=i).first()
    if found is None:
        raise NotFound("该工单没有申诉", "the item has no appeal", field="item_id")
    services.decide(appeal=found, by=request.auth, lines=[x.dict() for x in payload.lines],
                    comment=payload.comment)  # fmt: skip
    return detail_out(_item(request.auth, item_id))


class AgentOut(Schema):
    agent: str
    name: str
    items: int
    scored: int
    score: Decimal | None
    faults: int
    appeals: int


class FaultOut(Schema):
    label: str
    count: int
    share: Decimal


class MonthlyOut(Schema):
    center: str
    month: str
    items: int
    scored: int
    score: Decimal | None
    fault_rate: Decimal | None
    appeals: int
    changed: int
    kappa: Decimal | None
    kappa_pairs: int
    faults: list[FaultOut]
    agents: list[AgentOut]


class MonthlyQuery(Schema):
    center: str
    month: str


def _agents(rows) -> list[dict]:
    names = dict(
        User.objects.filter(pk__in=[r.agent_id for r in rows]).values_list("pk", "username")
    )
    return [{"agent": names[r.agent_id], "name": r.name, "items": r.items, "scored": r.scored,
             "score": r.score, "faults": r.faults, "appeals": r.appeals} for r in rows]  # fmt: skip


@router.get("/quality/monthly", response={200: MonthlyOut, **ERRORS}, summary="月度质检得分")
def monthly(request, q: Query[MonthlyQuery]):
    """The center's line, commonest faults, kappa and every agent's score: for the center's
    checkers, supervisors, analysts and administrators (an agent reads /quality/me)."""
    center = access.figure_centers(request.auth).filter(code=q.center).first()
    if center is None:
        raise NotFound("中心不存在", "no such center", field="center")
    line = figures.center_line([center.pk], q.month)
    return {
        "center": center.code, "month": q.month, "items": line.items, "scored": line.scored,
        "score": line.score, "fault_rate": line.fault_rate, "appeals": line.appeals,
        "changed": line.changed, "kappa": line.agreement.kappa,
        "kappa_pairs": line.agreement.pairs,
        "faults": [f.__dict__ for f in line.faults],
        "agents": _agents(figures.agent_scores([center.pk], q.month)),
    }  # fmt: skip


class MeQuery(Schema):
    month: str


@router.get("/quality/me", response={200: list[AgentOut], **ERRORS}, summary="本人月度得分")
def me(request, q: Query[MeQuery]):
    """The caller's own monthly score, per center that sampled them."""
    centers = SampleItem.objects.filter(agent=request.auth).values("sample__center_id")
    return _agents(figures.agent_scores(centers, q.month, agent=request.auth))
