"""API of 暗访 (field checks) and 典型曝光 bulletins, mounted on the supervision router."""

from datetime import UTC, datetime

from django.http import HttpResponse
from ninja import File, Router, Schema, UploadedFile
from ninja import Status as HttpStatus

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import Unit
from hotline.tickets.schemas import ErrorOut

from . import bulletins, cases, field_checks, services
from .models import Bulletin, BulletinState, FieldCheck

router = Router(tags=["暗访与典型曝光 field checks and bulletins"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def in_state(qs, state: str | None, values: list[str]):
    """`qs` of one state when the query names one; an unknown state is bad input."""
    if state is None:
        return qs
    if state not in values:
        raise InvalidInput("状态无效", f"unknown state {state}", field="state")
    return qs.filter(state=state)


class PhotoOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    sha256: str


class FieldCheckOut(Schema):
    id: int
    kind: str
    unit: str
    ticket: str | None
    item: int | None
    checked_at: datetime
    phone_number: str
    answered_by: str
    ring_seconds: int | None
    place: str
    findings: str
    score: int | None
    opened_item: int | None
    proposal: str
    photos: list[PhotoOut]

    @staticmethod
    def of(c: FieldCheck) -> "FieldCheckOut":
        return FieldCheckOut(
            id=c.pk, kind=c.kind, unit=c.unit.code, ticket=c.ticket.number if c.ticket else None,
            item=c.item_id, checked_at=c.checked_at, phone_number=c.phone_number,
            answered_by=c.answered_by, ring_seconds=c.ring_seconds, place=c.place,
            findings=c.findings, score=c.score, opened_item=c.opened_item_id,
            proposal=c.proposal,
            photos=[PhotoOut(id=p.pk, name=p.name, size=p.size, content_type=p.content_type,
                             sha256=p.sha256) for p in c.photos.order_by("id")],
        )  # fmt: skip


class FieldCheckIn(Schema):
    kind: str
    checked_at: datetime
    findings: str
    unit: str | None = None
    ticket: str | None = None
    item: int | None = None
    phone_number: str = ""
    answered_by: str = ""
    ring_seconds: int | None = None
    place: str = ""
    score: int | None = None


class FieldCheckReasonIn(Schema):
    reason: str
    deadline: datetime | None = None


def _refs(request, payload: FieldCheckIn):
    """The unit, ticket and item the payload names; unknown ones are 404 like out of scope."""
    unit = ticket = item = None
    if payload.unit:
        unit = field_checks.checked_units(request.auth).filter(code=payload.unit).first()
        if unit is None:
            raise NotFound("单位不存在或不在辖区内", "no such unit in your region",
                                    field="unit")  # fmt: skip
    if payload.ticket:
        ticket = scope.visible_tickets(request.auth).filter(number=payload.ticket).first()
        if ticket is None:
            raise NotFound("工单不存在", "no such ticket", field="ticket")
    if payload.item is not None:
        item = services.get_item(request.auth, payload.item)
    return unit, ticket, item


@router.get("/supervision/field-checks", response={200: list[FieldCheckOut], **ERRORS})
def list_checks(request, kind: str | None = None):
    qs = field_checks.visible_checks(request.auth)
    if kind is not None:
        if kind not in ("phone", "field"):
            raise InvalidInput("暗访方式须为 phone 或 field", f"unknown kind {kind}", field="kind")
        qs = qs.filter(kind=kind)
    return [FieldCheckOut.of(c) for c in qs.prefetch_related("photos")[:500]]


@router.post("/supervision/field-checks", response={201: FieldCheckOut, **ERRORS})
def record_check(request, payload: FieldCheckIn):
    unit, ticket, item = _refs(request, payload)
    check = field_checks.record(
        by=request.auth, kind=payload.kind, checked_at=payload.checked_at,
        findings=payload.findings, unit=unit, ticket=ticket, item=item,
        phone_number=payload.phone_number, answered_by=payload.answered_by,
        ring_seconds=payload.ring_seconds, place=payload.place, score=payload.score,
    )  # fmt: skip
    return HttpStatus(201, FieldCheckOut.of(check))


@router.get("/supervision/field-checks/{check_id}", response={200: FieldCheckOut, **ERRORS})
def get_check(request, check_id: int):
    return FieldCheckOut.of(field_checks.get_check(request.auth, check_id))


@router.post("/supervision/field-checks/{check_id}/photos", response={201: PhotoOut, **ERRORS})
def add_photo(request, check_id: int, file: File[UploadedFile]):
    check = field_checks.get_check(request.auth, check_id)
    p = field_checks.add_photo(check=check, by=request.auth, upload=file)
    return HttpStatus(201, PhotoOut(id=p.pk, name=p.name, size=p.size,
                                    content_type=p.content_type, sha256=p.sha256))  # fmt: skip


@router.post("/supervision/field-checks/{check_id}/supervise", response={201: dict, **ERRORS})
def supervise(request, check_id: int, payload: FieldCheckReasonIn):
    check = field_checks.get_check(request.auth, check_id)
    item = field_checks.open_supervision(check=check, by=request.auth, reason=payload.reason,
                                         deadline=payload.deadline)  # fmt: skip
    return HttpStatus(201, {"item": item.pk, "ticket": item.ticket.number, "state": item.state})


@router.post(
    "/supervision/field-checks/{check_id}/propose", response={200: FieldCheckOut, **ERRORS}
)
def propose(request, check_id: int, payload: FieldCheckReasonIn):
    check = field_checks.get_check(request.auth, check_id)
    check = field_checks.propose_accountability(check=check, by=request.auth,
                                                reason=payload.reason)  # fmt: skip
    return FieldCheckOut.of(check)


class BulletinCaseOut(Schema):
    id: int
    order: int
    source: str
    unit: str
    ticket: str | None
    reply: str
    why_wrong: str
    handler: str
    leader: str


class BulletinOut(Schema):
    id: int
    center: str
    title: str
    state: str
    serial: int | None
    review_note: str
    issued_at: datetime | None
    sha256: str
    cases: list[BulletinCaseOut]

    @staticmethod
    def of(b: Bulletin) -> "BulletinOut":
        return BulletinOut(
            id=b.pk, center=b.center.code, title=b.title, state=b.state, serial=b.serial,
            review_note=b.review_note, issued_at=b.issued_at, sha256=b.sha256,
            cases=[BulletinCaseOut(id=c.pk, order=c.order, source=c.source, unit=c.unit.code,
                           ticket=c.ticket.number if c.ticket else None, reply=c.reply,
                           why_wrong=c.why_wrong, handler=c.handler, leader=c.leader)
                   for c in b.cases.select_related("unit", "ticket")],
        )  # fmt: skip


class CandidateOut(Schema):
    source: str
    ref: int
    unit: str
    ticket: str | None
    reply: str
    why_wrong: str
    handler: str
    leader: str
    at: datetime


class BulletinIn(Schema):
    title: str
    center: str | None = None


class CaseIn(Schema):
    source: str
    ref: int
    why_wrong: str


class DecisionIn(Schema):
    approve: bool
    note: str = ""


@router.get("/supervision/bulletins", response={200: list[BulletinOut], **ERRORS})
def list_bulletins(request, state: str | None = None):
    qs = in_state(bulletins.visible_bulletins(request.auth), state, BulletinState.values)
    qs = qs.order_by("-created_at", "-id")
    return [BulletinOut.of(b) for b in qs[:200]]


@router.post("/supervision/bulletins", response={201: BulletinOut, **ERRORS})
def create_bulletin(request, payload: BulletinIn):
    center = None
    if payload.center:
        center = Unit.objects.filter(code=payload.center, is_active=True).first()
        if center is None:
            raise NotFound("中心不存在", "no such center", field="center")
    b = bulletins.create(by=request.auth, title=payload.title, center=center)
    return HttpStatus(201, BulletinOut.of(b))


@router.get("/supervision/bulletin-candidates", response={200: list[CandidateOut], **ERRORS})
def list_candidates(request, since: datetime):
    try:
        # PostgreSQL takes offsets only up to ±15:59; a query may carry any ISO offset
        since = since.astimezone(UTC) if since.tzinfo else since
    except OverflowError:
        raise InvalidInput("起始时间超出范围", "since is out of range", field="since") from None
    if not bulletins.drafting_centers(request.auth):
        raise Forbidden("只有热线中心效能督查人员可以选取案例",
                                 "only a center's supervisor may choose cases")  # fmt: skip
    return [
        CandidateOut(source=c.source, ref=c.ref, unit=c.unit.code,
                     ticket=c.ticket.number if c.ticket else None, reply=c.reply,
                     why_wrong=c.why_wrong, handler=c.handler, leader=c.leader, at=c.at)
        for found in cases.candidates(request.auth, since).values() for c in found
    ]  # fmt: skip


@router.get("/supervision/bulletins/{bulletin_id}", response={200: BulletinOut, **ERRORS})
def get_bulletin(request, bulletin_id: int):
    return BulletinOut.of(bulletins.get_bulletin(request.auth, bulletin_id))


@router.post("/supervision/bulletins/{bulletin_id}/cases", response={201: BulletinOut, **ERRORS})
def add_case(request, bulletin_id: int, payload: CaseIn):
    b = bulletins.get_bulletin(request.auth, bulletin_id)
    bulletins.add_case(bulletin=b, by=request.auth, source=payload.source, ref=payload.ref,
                       why_wrong=payload.why_wrong)  # fmt: skip
    return HttpStatus(201, BulletinOut.of(b))


@router.post("/supervision/bulletins/{bulletin_id}/submit", response={200: BulletinOut, **ERRORS})
def submit(request, bulletin_id: int):
    b = bulletins.get_bulletin(request.auth, bulletin_id)
    return BulletinOut.of(bulletins.submit(bulletin=b, by=request.auth))


@router.post("/supervision/bulletins/{bulletin_id}/decide", response={200: BulletinOut, **ERRORS})
def decide(request, bulletin_id: int, payload: DecisionIn):
    b = bulletins.get_bulletin(request.auth, bulletin_id)
    return BulletinOut.of(bulletins.decide(bulletin=b, by=request.auth, approve=payload.approve,
                                           note=payload.note))  # fmt: skip


@router.post("/supervision/bulletins/{bulletin_id}/issue", response={200: BulletinOut, **ERRORS})
def issue(request, bulletin_id: int):
    b = bulletins.get_bulletin(request.auth, bulletin_id)
    return BulletinOut.of(bulletins.issue(bulletin=b, by=request.auth))


@router.get("/supervision/bulletins/{bulletin_id}/document", response={200: None, **ERRORS})
def document(request, bulletin_id: int):
    b = bulletins.get_bulletin(request.auth, bulletin_id)
    if b.state != BulletinState.ISSUED:
        raise IllegalTransition("通报尚未印发", "the bulletin is not issued yet",
                                         field="state")  # fmt: skip
    response = HttpResponse(bytes(b.document), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="bulletin-{b.pk}.docx"'
    return response
