"""Screening API under /api/v1/screening: screen a text, a ticket's risk, duplicates and reply
checks, the risk board, the repeat list, hand-overs to the police and lexicon edits."""

from datetime import datetime

from ninja import Field, Router, Schema
from ninja import Status as HttpStatus

from hotline.errors import Forbidden, IllegalTransition
from hotline.orgs import scope
from hotline.orgs.models import Role
from hotline.tickets.api import ERRORS, _get

from . import board, lexicon, services
from .kinds import Category, Level
from .models import LexiconTerm

router = Router(tags=["风险甄别 screening"])


class TextIn(Schema):
    title: str = Field("", max_length=200)
    content: str = Field(..., min_length=1, max_length=5000)


class HitOut(Schema):
    term: str
    category: str
    level: str
    at: int
    evasion: str = ""
    suppressed: str = ""


class ScreenOut(Schema):
    risk: str
    flags: list[str]
    hits: list[HitOut]
    suppressed: list[HitOut]


class ReplyCheckIn(Schema):
    body: str = Field(..., min_length=1, max_length=5000)


class ReasonOut(Schema):
    code: str
    severity: str
    message_zh: str
    message_en: str


class ReviewOut(Schema):
    verdict: str
    score: int
    reasons: list[ReasonOut]


class StoredReviewOut(ReviewOut):
    id: int
    body: str
    created_at: datetime


class RiskOut(Schema):
    number: str
    risk: str
    urgency: str
    flags: list[str]
    hits: list[HitOut]
    alerts: list[dict]
    handovers: list[dict]
    reviews: list[StoredReviewOut]


class HandoverIn(Schema):
    police_unit: str = Field(..., max_length=100, description="接收公安机关")
    contact: str = Field(..., max_length=100, description="接收人及联系方式")
    summary: str = Field(..., max_length=2000, description="移交内容")


class LexiconChangeIn(Schema):
    term: str = Field(..., max_length=32)
    category: Category
    level: Level | None = None
    homophones: bool | None = None
    active: bool = True
    note: str = Field("", max_length=200)


class LexiconEditIn(Schema):
    changes: list[LexiconChangeIn] = Field(..., min_length=1, max_length=500)
    summary: str = Field("", max_length=300)


def _handover_out(h) -> dict:
    return {
        "police_unit": h.police_unit,
        "contact": h.contact,
        "summary": h.summary,
        "handed_by": str(h.handed_by),
        "handed_unit": h.handed_unit.name,
        "handed_at": h.handed_at.isoformat(),
    }


def _review_out(r) -> dict:
    return {
        "id": r.id,
        "verdict": r.verdict,
        "score": r.score,
        "reasons": r.reasons,
        "body": r.body,
        "created_at": r.created_at,
    }


def _member(request):
    """Screening a free text is for people of the hotline; anyone else is refused."""
    if not request.auth.is_superuser and not scope.memberships(request.auth):
        raise Forbidden("没有可用的岗位，不能使用风险甄别", "no role: screening is not available")


@router.post("/screening/screen", response={200: ScreenOut, **ERRORS}, summary="甄别一段诉求文本")
def screen(request, payload: TextIn):
    """Risk level, flags and hits of a text (nothing is stored): for the agent while typing."""
    _member(request)
    return services.screen_demand(payload.title, payload.content).as_dict()


@router.get(
    "/screening/tickets/{number}/risk", response={200: RiskOut, **ERRORS}, summary="工单风险"
)
def ticket_risk(request, number: str):
    """The ticket's risk assessment, its alerts, hand-overs to the police and reply checks."""
    t = _get(request, number)
    risk = getattr(t, "risk", None)  # the reverse one-to-one raises when there is none
    return {
        "number": t.number,
        "risk": risk.level if risk else Level.NONE,
        "urgency": t.urgency,
        "flags": risk.flags if risk else [],
        "hits": risk.hits if risk else [],
        "alerts": [
            {
                "kind": a.kind,
                "message": a.message,
                "unit": a.unit.name,
                "role": a.role,
                "created_at": a.created_at.isoformat(),
            }  # fmt: skip
            for a in t.risk_alerts.select_related("unit").order_by("id")
        ],
        "handovers": [
            _handover_out(h)
            for h in t.police_handovers.select_related("handed_by", "handed_unit").order_by("id")
        ],
        "reviews": [_review_out(r) for r in t.reply_reviews.order_by("-id")[:20]],
    }


@router.get("/screening/tickets/{number}/duplicates", response={200: dict, **ERRORS},
            summary="重复件与同一来电人的历史工单")  # fmt: skip
def ticket_duplicates(request, number: str):
    """The same caller's earlier tickets and near-duplicates with their similarity."""
    return board.similar_tickets(request.auth, _get(request, number))


@router.post("/screening/tickets/{number}/reply-check", response={200: ReviewOut, **ERRORS},
             summary="答复预检（不保存）")  # fmt: skip
def reply_check(request, number: str, payload: ReplyCheckIn):
    """Check a draft reply against the ticket's demand before sending it; nothing is stored."""
    t = _get(request, number)
    return services.check_reply(t, payload.body).as_dict()


@router.post("/screening/tickets/{number}/reply-review", response={201: StoredReviewOut, **ERRORS},
             summary="重新审查当前答复")  # fmt: skip
def reply_review(request, number: str):
    """Re-run the check on the ticket's current reply (after a lexicon change) and store it;
    a "block" stops approve_reply until the reply is sent back and replaced."""
    t = _get(request, number)
    if scope.center_membership(request.auth, t.center, {Role.REVIEWER}) is None:
        raise Forbidden("只有责任中心的审核员可以重新审查答复", "only a reviewer of the center may")
    if not t.reply:
        raise IllegalTransition("工单还没有答复", "the ticket has no reply yet", field="status")
    stored = services.store_review(
        ticket=t, body=t.reply, review=services.check_reply(t, t.reply), by=request.auth
    )
    return HttpStatus(201, _review_out(stored))


@router.post("/screening/tickets/{number}/handover", response={201: dict, **ERRORS},
             summary="移交公安")  # fmt: skip
def handover(request, number: str, payload: HandoverIn):
    """Record the hand-over of the ticket's risk to public security (who, when, what)."""
    h = board.hand_over(ticket=_get(request, number), by=request.auth, **payload.dict())
    return HttpStatus(201, _handover_out(h))


@router.get("/screening/risk-board", response={200: list[dict], **ERRORS}, summary="风险工单看板")
def risk_board(request):
    """Open red and orange tickets in the caller's scope, red first, stalled ones marked."""
    return board.risk_board(request.auth)


@router.get("/screening/repeats", response={200: list[dict], **ERRORS}, summary="反复投诉未解决")
def repeats(request):
    """The same demand three or more times in 90 days, not resolved, in the caller's scope."""
    return board.repeat_list(request.auth)


def _lexicon_admin(request):
    user = request.auth
    if user.is_superuser or any(m.role == Role.ADMIN for m in scope.memberships(user)):
        return
    raise Forbidden("只有系统管理员可以维护词库", "only an administrator may edit the lexicons")


@router.get("/screening/lexicon", response={200: dict, **ERRORS}, summary="词库")
def get_lexicon(request, category: Category | None = None):
    """The active terms (optionally of one category) and the current version."""
    _lexicon_admin(request)
    qs = LexiconTerm.objects.filter(is_active=True)
    if category:
        qs = qs.filter(category=category)
    return {
        "version": lexicon.matcher().version,
        "terms": list(qs.values("term", "category", "level", "homophones", "note")),
    }


@router.post("/screening/lexicon", response={201: dict, **ERRORS}, summary="编辑词库")
def edit_lexicon(request, payload: LexiconEditIn):
    """Apply a batch of edits as one new version; screening uses it at once."""
    _lexicon_admin(request)
    changes = [c.dict(exclude_none=True) for c in payload.changes]
    v = lexicon.edit(by=request.auth, changes=changes, summary=payload.summary)
    return HttpStatus(201, {"version": v.number, "summary": v.summary, "changes": v.changes})
