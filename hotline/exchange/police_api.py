"""110 linkage API under /api/v1/exchange/police: the center hands a ticket over; the police
partner (signed, as every connected system) reads its hand-overs, reports on them, hands
非警务警情 in and reads their results. A partner reaches only its own hand-overs and demands:
any other reference is 404. A user's token or session cannot use the partner's endpoints."""

from datetime import datetime
from typing import Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus

from hotline.audit.models import PersonalDataView, PersonalField
from hotline.catalog.models import AppealType, Urgency
from hotline.tickets.api import _get
from hotline.tickets.schemas import ErrorOut

from . import police, police_alerts, police_demands
from .models import HandoverState, PoliceLink, PoliceReportKind, SystemKind
from .systemauth import SystemSignature

router = Router(tags=["110联动 police linkage"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}  # fmt: skip
POLICE = SystemSignature(kinds={SystemKind.POLICE})


class PoliceHandoverIn(Schema):
    partner: str = Field(..., min_length=1, max_length=24, description="公安系统编码")
    summary: str = Field(..., min_length=1, max_length=2000, description="移交内容")
    contact: str = Field("", max_length=100, description="接收人及联系方式（可空）")


class PoliceReportOut(Schema):
    report_id: str
    kind: str
    at: datetime
    note: str


class HandoverOut(Schema):
    reference: str
    ticket: str
    partner: str
    state: str
    state_label: str
    handed_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    police_ref: str
    officer: str
    concluded_at: datetime | None
    outcome: str
    overdue: bool
    summary: str
    reports: list[PoliceReportOut]


class PoliceCaseOut(HandoverOut):
    """What the police read of a hand-over: the demand with the citizen's contact."""

    title: str
    content: str
    address: str
    region: str
    citizen_name: str
    citizen_phone: str
    handed_by: str
    handed_unit: str


class PoliceReportIn(Schema):
    report_id: str = Field(
        ..., min_length=1, max_length=64, description="公安系统的报告编号（幂等键）"
    )
    kind: Literal["acknowledged", "progress", "concluded"] = Field(
        ..., description="签收/进展/办结"
    )
    at: datetime = Field(..., description="公安系统中发生的时间（带时区）")
    note: str = Field("", max_length=2000, description="内容；进展、办结必填")
    police_ref: str = Field("", max_length=64, description="公安警情编号（签收时）")
    officer: str = Field("", max_length=64, description="签收人")


class DemandIn(Schema):
    police_ref: str = Field(..., min_length=1, max_length=40, pattern=r"^[\w.\-]+$",
                            description="公安警情编号（幂等键）")  # fmt: skip
    appeal_type: AppealType = AppealType.HELP
    title: str = Field(..., min_length=1, max_length=200)
    content: str = Field(..., min_length=1, max_length=5000)
    urgency: Urgency = Urgency.NORMAL
    citizen_name: str = Field("", max_length=64)
    citizen_phone: str = Field("", max_length=20)
    category: str | None = Field(None, max_length=16, description="诉求分类编码")
    region: str | None = Field(None, max_length=12, description="行政区划代码")
    address: str = Field("", max_length=200)
    police_unit: str = Field("", max_length=100, description="接警单位")
    reported_at: datetime | None = Field(None, description="接警时间（带时区）")


class DemandOut(Schema):
    police_ref: str
    number: str
    status: str
    final: bool
    reply: str = ""
    closed_at: str | None = None
    satisfaction: str = ""
    merged_into: str | None = None
    result_sent_at: datetime | None = None


class BoardFilters(Schema):
    overdue: bool = Field(False, description="只看超时未签收的")


class HandoverFilters(Schema):
    state: Literal["sent", "acknowledged", "concluded"] | None = None
    limit: int = Field(100, ge=1, le=500)


def _out(link: PoliceLink, now=None) -> dict:
    now = now or timezone.now()
    return {
        "reference": link.reference,
        "ticket": link.ticket.number,
        "partner": link.partner.code,
        "state": link.state,
        "state_label": link.get_state_display(),
        "handed_at": link.handed_at,
        "ack_due_at": link.ack_due_at,
        "acknowledged_at": link.acknowledged_at,
        "police_ref": link.police_ref,
        "officer": link.officer,
        "concluded_at": link.concluded_at,
        "outcome": link.outcome,
        "overdue": link.state == HandoverState.SENT and link.ack_due_at <= now,
        "summary": link.handover.summary,
        "reports": [
            {"report_id": r.report_id, "kind": r.kind, "at": r.at, "note": r.note}
            for r in link.reports.order_by("id")
        ],
    }


def _case(link: PoliceLink) -> dict:
    t = link.ticket
    return {
        **_out(link),
        "title": t.title,
        "content": t.content,
        "address": t.address,
        "region": t.region.name if t.region_id else "",
        "citizen_name": "" if t.anonymous else t.citizen_name,
        "citizen_phone": "" if t.anonymous else t.citizen_phone,
        "handed_by": str(link.handover.handed_by),
        "handed_unit": link.handover.handed_unit.name,
    }


def _demand_out(d) -> dict:
    return {
        "police_ref": d.police_ref,
        "result_sent_at": d.result_sent_at,
        **police_demands.result_of(d.ticket),
    }


# The center's side: its staff, by the API's own token or session auth (no `auth=` given);
# the ticket within their scope.


@router.post("/exchange/police/tickets/{number}/handover",
             response={200: HandoverOut, 201: HandoverOut, **ERRORS},
             summary="移交公安（经110联动接口） / hand a ticket over to the police")  # fmt: skip
def hand_over(request, number: str, payload: PoliceHandoverIn):
    """201 with the new hand-over; 200 with the open one when the ticket was already handed
    to this partner. The police receive it by webhook and read it through their API."""
    ticket = _get(request, number)
    link, created = police.hand_over(
        ticket=ticket,
        by=request.auth,
        partner=payload.partner,
        contact=payload.contact,
        summary=payload.summary,
    )
    return HttpStatus(201 if created else 200, _out(link))


@router.get("/exchange/police/board", response={200: list[HandoverOut], **ERRORS},
            summary="移交公安一览（超时未签收在前）")  # fmt: skip
def board(request, filters: Query[BoardFilters]):
    """The hand-overs of tickets in the caller's scope, overdue acknowledgements first."""
    rows = police_alerts.board_rows(request.auth, overdue_only=filters.overdue)
    return [_out(r["link"]) for r in rows]


# The police partner's side (signed requests of a `police` system).


@router.get("/exchange/police/handovers", response={200: list[HandoverOut], **ERRORS},
            auth=POLICE, summary="公安：移交给本系统的工单")  # fmt: skip
def handovers(request, filters: Query[HandoverFilters]):
    """The hand-overs to the calling partner, newest first (optionally of one state)."""
    qs = police.links_of(request.auth).select_related("ticket", "partner", "handover")
    if filters.state:
        qs = qs.filter(state=filters.state)
    return [_out(x) for x in qs.order_by("-id")[: filters.limit]]


@router.get("/exchange/police/handovers/{reference}", response={200: PoliceCaseOut, **ERRORS},
            auth=POLICE, summary="公安：读取一件移交")  # fmt: skip
def handover_detail(request, reference: str):
    """The demand, the citizen's contact and the steps so far; the first read is recorded,
    and every read of the citizen's name or phone goes into the personal-data access log."""
    link = police.link_for(request.auth, reference)
    if link.read_at is None:
        PoliceLink.objects.filter(pk=link.pk, read_at=None).update(read_at=timezone.now())
    case = _case(link)
    shown = [f for f in PersonalField.values if case.get(f)]
    if shown:
        PersonalDataView.record_partner_read(
            partner=request.auth, ticket=link.ticket, fields=shown, request=request,
            reason=f"110联动：公安读取移交 {link.reference}",
        )  # fmt: skip
    return case


@router.post("/exchange/police/handovers/{reference}/reports",
             response={200: HandoverOut, 201: HandoverOut, **ERRORS}, auth=POLICE,
             summary="公安：签收、反馈进展、办结")  # fmt: skip
def handover_report(request, reference: str, payload: PoliceReportIn):
    """201 when applied; 200 when this report id was applied before (nothing changes)."""
    link, applied = police.report(
        system=request.auth,
        reference=reference,
        report_id=payload.report_id,
        kind=PoliceReportKind(payload.kind),
        at=payload.at,
        note=payload.note,
        police_ref=payload.police_ref,
        officer=payload.officer,
    )
    return HttpStatus(201 if applied else 200, _out(link))


@router.post("/exchange/police/demands", response={200: DemandOut, 201: DemandOut, **ERRORS},
             auth=POLICE, summary="公安：转办非警务警情")  # fmt: skip
def receive_demand(request, payload: DemandIn):
    """201 with the new ticket (待受理 at the partner's center); 200 with the same ticket when
    this police reference was received before."""
    demand, created = police_demands.receive_demand(system=request.auth, item=payload)
    return HttpStatus(201 if created else 200, _demand_out(demand))


@router.get("/exchange/police/demands/{police_ref}", response={200: DemandOut, **ERRORS},
            auth=POLICE, summary="公安：非警务警情的办理状态与结果")  # fmt: skip
def demand_detail(request, police_ref: str):
    """The ticket's state and, once it is closed (or invalid, or merged), its result."""
    return _demand_out(police_demands.demand_for(request.auth, police_ref))
