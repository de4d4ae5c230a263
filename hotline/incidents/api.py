"""Incidents API (突发事件): declare, 口径 drafts and approval, the board, 并单, 直接办结 from the
口径, temporary agents, the overflow pool, urgent reports and the staffing plan.

Who may do what is decided in the services (access.py, urgent.py, overflow.py); this router
only finds objects in the caller's view (out of scope = 404) and shapes the answers.
"""

import datetime as dt

from django.utils import timezone
from ninja import Router
from ninja import Status as HttpStatus

from hotline.errors import InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, Unit, User
from hotline.tickets.api import _register_input
from hotline.tickets.schemas import ErrorOut, RegisterIn

from . import access, board, grouping, overflow, services, staffing, temporary, urgent
from .models import Script, UrgentReport
from .schemas import (
    AckIn,
    DeclareIn,
    EnrolledOut,
    EnrollIn,
    GroupOut,
    IncidentOut,
    OverflowOut,
    PlanOut,
    PoolIn,
    PoolOut,
    ReportIn,
    ReportOut,
    RuleIn,
    ScriptIn,
    ScriptOut,
)

router = Router(tags=["突发事件 incidents"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}  # fmt: skip
STAFF_ROLES = CENTER_ROLES | READONLY_ROLES


def script_out(s: Script | None) -> dict | None:
    if s is None:
        return None
    return {
        "id": s.pk, "version": s.version, "body": s.body, "state": s.state,
        "written_by": s.written_by.username,
        "approved_by": s.approved_by.username if s.approved_by_id else None,
    }  # fmt: skip


def incident_out(user, i) -> dict:
    return {
        "id": i.pk, "name": i.name, "center": i.center.code,
        "regions": [r.code for r in i.regions.all()], "keywords": i.keywords,
        "examples": i.examples, "state": i.state, "starts_at": i.starts_at,
        "ends_at": i.ends_at, "script": script_out(services.current_script(i)),
        "may_manage": access.may_manage(user, i),
    }  # fmt: skip


def _center(user, code: str, field: str = "center") -> Unit:
    """A center the caller works at (or above); anything else is 404."""
    unit = Unit.objects.select_related("region").filter(code=code, is_active=True).first()
    if unit is None or not unit.is_center:
        raise NotFound("中心不存在", "no such center", field=field)
    if not (user.is_superuser or scope.center_membership(user, unit, STAFF_ROLES)):
        raise NotFound("中心不存在", "no such center", field=field)
    return unit


@router.get("/incidents", response={200: list[IncidentOut], **ERRORS}, summary="突发事件列表")
def list_incidents(request, active: bool = False):
    """The incidents whose regions overlap the caller's."""
    user = request.auth
    return [incident_out(user, i) for i in services.visible_incidents(user, active_only=active)]


@router.post("/incidents", response={201: IncidentOut, **ERRORS}, summary="宣布突发事件")
def declare(request, payload: DeclareIn):
    """A center's managers declare for the center's regions; the province for any."""
    center = None
    if payload.center:
        center = Unit.objects.filter(code=payload.center, is_active=True).first()
        if center is None:
            raise InvalidInput("中心不存在", "unknown center", field="center")
    incident = services.declare(
        by=request.auth, name=payload.name, regions=payload.regions, keywords=payload.keywords,
        examples=payload.examples, categories=payload.categories, starts_at=payload.starts_at,
        ends_at=payload.ends_at, center=center,
    )  # fmt: skip
    return HttpStatus(201, incident_out(request.auth, incident))


@router.get("/incidents/{int:incident_id}", response={200: IncidentOut, **ERRORS})
def get_incident(request, incident_id: int):
    """One incident with its approved 口径."""
    return incident_out(request.auth, services.get_incident(request.auth, incident_id))


@router.post("/incidents/{int:incident_id}/close", response={200: IncidentOut, **ERRORS})
def close(request, incident_id: int):
    """End the incident: its banner leaves every desktop."""
    incident = services.get_incident(request.auth, incident_id)
    services.close_incident(by=request.auth, incident=incident)
    return incident_out(request.auth, incident)


@router.get("/incidents/{int:incident_id}/scripts", response={200: list[ScriptOut], **ERRORS})
def list_scripts(request, incident_id: int):
    """Every version of the 口径, drafts included (managers only; agents read the approved
    one on the incident)."""
    incident = services.get_incident(request.auth, incident_id)
    access.require_manager(request.auth, incident)
    return [script_out(s) for s in incident.scripts.select_related("written_by", "approved_by")
            .order_by("-version")]  # fmt: skip


@router.post("/incidents/{int:incident_id}/scripts", response={201: ScriptOut, **ERRORS},
             summary="撰写口径（草稿）")  # fmt: skip
def write_script(request, incident_id: int, payload: ScriptIn):
    incident = services.get_incident(request.auth, incident_id)
    s = services.write_script(by=request.auth, incident=incident, body=payload.body)
    return HttpStatus(201, script_out(s))


@router.post("/incidents/scripts/{int:script_id}/approve", response={200: ScriptOut, **ERRORS},
             summary="审批口径")  # fmt: skip
def approve_script(request, script_id: int):
    """Approve a draft: it replaces the old 口径 on every desktop in scope."""
    s = Script.objects.select_related("incident").filter(pk=script_id).first()
    if s is None or not access.sees(request.auth, s.incident):
        raise NotFound("口径不存在", "no such script", field="script_id")
    return script_out(services.approve_script(by=request.auth, script=s))


@router.get("/incidents/{int:incident_id}/board", response={200: dict, **ERRORS},
            summary="事件看板")  # fmt: skip
def get_board(request, incident_id: int):
    """Volume per hour, questions the 口径 leaves open, share closed at first contact, groups
    and replies, extra agents needed now."""
    return board.snapshot(services.get_incident(request.auth, incident_id))


@router.post("/incidents/{int:incident_id}/group", response={200: GroupOut, **ERRORS},
             summary="并单")  # fmt: skip
def group(request, incident_id: int):
    """Merge the incident's open tickets into one parent per unit; each merge needs the
    right to merge at the ticket's center (its dispatchers), the rest are listed as failed."""
    incident = services.get_incident(request.auth, incident_id)
    r = grouping.group_tickets(by=request.auth, incident=incident)
    return {"groups": [g.parent.number for g in r.groups], "merged": r.merged,
            "failed": [n for n, _ in r.failed]}  # fmt: skip


@router.post("/incidents/{int:incident_id}/resolve", response={201: dict, **ERRORS},
             summary="按口径直接办结")  # fmt: skip
def resolve(request, incident_id: int, payload: RegisterIn):
    incident = services.get_incident(request.auth, incident_id)
    t = services.resolve_with_script(
        by=request.auth, incident=incident, data=_register_input(payload)
    )
    return HttpStatus(201, {"number": t.number, "status": t.status})


@router.post("/incidents/{int:incident_id}/temporary-agents",
             response={201: EnrolledOut, **ERRORS}, summary="登记临时座席")  # fmt: skip
def enroll(request, incident_id: int, payload: EnrollIn):
    """A temporary agent for the incident; the password is shown this once."""
    incident = services.get_incident(request.auth, incident_id)
    agent, password = temporary.enroll(
        by=request.auth, incident=incident, username=payload.username,
        full_name=payload.full_name, phone=payload.phone,
    )  # fmt: skip
    return HttpStatus(201, {"id": agent.pk, "username": agent.user.username, "password": password})


@router.post("/incidents/temporary/tickets", response={201: dict, **ERRORS},
             summary="临时座席登记诉求")  # fmt: skip
def temporary_register(request, payload: RegisterIn):
    """Registered for the agent's center, waiting there to be accepted (reviewed)."""
    t = temporary.register(by=request.auth, data=_register_input(payload))
    return HttpStatus(201, {"number": t.number, "status": t.status})


@router.get("/incidents/temporary/tickets", response={200: list[dict], **ERRORS})
def temporary_tickets(request):
    """The temporary agent's own tickets, the only ones they ever see."""
    rows = temporary.own_tickets(request.auth).values("number", "title", "status", "created_at")
    return list(rows[:200])


# ---- the overflow pool ---------------------------------------------------------------------


@router.put("/overflow/rules/{center}", response={200: RuleIn, **ERRORS}, summary="溢出阈值")
def set_rule(request, center: str, payload: RuleIn):
    unit = _center(request.auth, center)
    rule = overflow.set_rule(by=request.auth, center=unit, **payload.dict())
    return {"max_waiting": rule.max_waiting, "max_wait_seconds": rule.max_wait_seconds,
            "is_active": rule.is_active}  # fmt: skip


@router.get("/overflow/status/{center}", response={200: OverflowOut, **ERRORS})
def overflow_status(request, center: str):
    """Is the center's queue over its threshold now."""
    return overflow.status(_center(request.auth, center))


@router.post("/overflow/pool", response={200: PoolOut, **ERRORS}, summary="统筹座席池")
def mark_agent(request, payload: PoolIn):
    """Put an agent of the caller's center into the pool (or out)."""
    user = User.objects.filter(username=payload.username, is_active=True).first()
    if user is None:
        raise NotFound("用户不存在", "no such user", field="username")
    m = overflow.mark_agent(by=request.auth, user=user, active=payload.active)
    return {"username": user.username, "home_center": m.home_center.code, "active": m.is_active}


@router.post("/overflow/calls/{int:call_id}/tickets", response={201: dict, **ERRORS},
             summary="溢出来电代登记")  # fmt: skip
def register_for(request, call_id: int, payload: RegisterIn):
    """A pool agent registers on behalf of the caller's city; the ticket is that city's."""
    t = overflow.register_for(by=request.auth, call_id=call_id, data=_register_input(payload))
    return HttpStatus(201, {"number": t.number, "center": t.center.code})


# ---- urgent reports --------------------------------------------------------------------------


def report_out(r: UrgentReport) -> dict:
    steps = [
        {"action": s.action, "center": s.center.code,
         "user": s.user.username if s.user_id else None, "note": s.note, "at": s.at}
        for s in r.steps.select_related("center", "user")
    ]  # fmt: skip
    return {
        "id": r.pk, "what": r.what, "place": r.place, "people": r.people, "risk": r.risk,
        "origin": r.origin.code, "at_center": r.at_center.code, "state": r.state,
        "due_at": r.due_at, "merged": sorted(m.pk for m in r.merged.all()), "steps": steps,
    }  # fmt: skip


def _report(user, report_id: int) -> UrgentReport:
    r = urgent.visible(user).select_related("origin", "at_center").filter(pk=report_id).first()
    if r is None:
        raise NotFound("紧急信息不存在", "no such report", field="report_id")
    return r


@router.post("/urgent-reports", response={201: ReportOut, **ERRORS}, summary="报送紧急信息")
def raise_report(request, payload: ReportIn):
    """Reaches the duty officer of the center above at once."""
    user = request.auth
    ticket = incident = None
    if payload.ticket:
        ticket = scope.visible_tickets(user).filter(number=payload.ticket).first()
        if ticket is None:
            raise NotFound("工单不存在", "no such ticket", field="ticket")
    if payload.incident is not None:
        incident = services.get_incident(user, payload.incident)
    r = urgent.raise_report(
        by=user, what=payload.what, place=payload.place, people=payload.people,
        risk=payload.risk, ticket=ticket, incident=incident,
    )  # fmt: skip
    return HttpStatus(201, report_out(_report(user, r.pk)))


@router.get("/urgent-reports", response={200: list[ReportOut], **ERRORS}, summary="紧急信息列表")
def list_reports(request):
    """One list: merged reports under the one that absorbed them."""
    return [report_out(r) for r in urgent.province_list(request.auth)[:200]]


@router.get("/urgent-reports/{int:report_id}", response={200: ReportOut, **ERRORS})
def get_report(request, report_id: int):
    return report_out(_report(request.auth, report_id))


@router.post("/urgent-reports/{int:report_id}/acknowledge", response={200: ReportOut, **ERRORS},
             summary="签收紧急信息")  # fmt: skip
def acknowledge(request, report_id: int, payload: AckIn):
    r = urgent.acknowledge(by=request.auth, report=_report(request.auth, report_id),
                           note=payload.note)  # fmt: skip
    return report_out(UrgentReport.objects.get(pk=r.pk))


# ---- the staffing plan -----------------------------------------------------------------------


@router.get("/staffing/{center}", response={200: PlanOut, **ERRORS}, summary="排班预测")
def staffing_plan(request, center: str, start: dt.date | None = None):
    """The next 7 days from `start` (today by default): calls and agents per half hour."""
    unit = _center(request.auth, center)
    start = start or timezone.localdate()
    slots, aht = staffing.plan(unit, start)
    return {
        "center": unit.code, "aht_seconds": round(aht, 1), "signed_in": staffing.signed_in(unit),
        "slots": [{"day": s.day, "start": s.start.strftime("%H:%M"), "calls": round(s.calls, 2),
                   "agents": s.staffing.agents, "scheduled": s.staffing.scheduled,
                   "service_level": round(s.staffing.service_level, 4)} for s in slots],
    }  # fmt: skip
