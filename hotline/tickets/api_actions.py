"""One endpoint per transition; each returns the ticket as the caller now sees it."""

from django.http import FileResponse, Http404
from ninja import File, UploadedFile

from hotline.errors import Forbidden, InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import Role

from . import lifecycle
from .api import ERRORS, _get, _unit, approval_out, detail_out, router
from .models import Attachment, LeaderApproval
from .schemas import (
    ApprovalOut,
    CallbackIn,
    DispatchIn,
    ExtensionIn,
    MergeIn,
    NoteIn,
    ReasonIn,
    ReplyIn,
    ReturnIn,
    SubDispatchIn,
    SuperviseIn,
    TicketDetailOut,
)

RESPONSES = {200: TicketDetailOut, **ERRORS}


def _done(request, t):
    """After the change the caller may no longer see the ticket (returned, sent on): 200
    with what it sees, or the ticket as it was acted on when it dropped out of scope."""
    from hotline.orgs import scope

    if scope.is_visible(request.auth, t):
        return detail_out(request.auth, _get(request, t.number))
    return detail_out(request.auth, t)


def _note(payload: NoteIn | None) -> str:
    return payload.note if payload is not None else ""


def _post(path, summary):
    return router.post(f"/tickets/{{number}}/{path}", response=RESPONSES, summary=summary)


@_post("accept", "受理确认")
def accept(request, number: str, payload: NoteIn | None = None):
    return _done(
        request,
        lifecycle.accept(ticket=_get(request, number), by=request.auth, note=_note(payload)),
    )


@_post("invalid", "标记无效")
def mark_invalid(request, number: str, payload: ReasonIn):
    return _done(
        request,
        lifecycle.mark_invalid(
            ticket=_get(request, number), by=request.auth, reason=payload.reason
        ),
    )


@_post("dispatch", "派单")
def dispatch(request, number: str, payload: DispatchIn):
    t = _get(request, number)
    lead = _unit(payload.to_unit, "to_unit")
    assisting = [_unit(code, "assisting") for code in payload.assisting]
    return _done(
        request,
        lifecycle.dispatch(
            ticket=t, by=request.auth, to_unit=lead, assisting=assisting, note=_note(payload)
        ),
    )


@_post("sub-dispatch", "下派")
def sub_dispatch(request, number: str, payload: SubDispatchIn):
    t = _get(request, number)
    return _done(
        request,
        lifecycle.sub_dispatch(
            ticket=t,
            by=request.auth,
            to_unit=_unit(payload.to_unit, "to_unit"),
            note=_note(payload),
        ),
    )


@_post("acknowledge", "签收")
def acknowledge(request, number: str):
    return _done(request, lifecycle.acknowledge(ticket=_get(request, number), by=request.auth))


@_post("return", "申请退单")
def request_return(request, number: str, payload: ReturnIn):
    return _done(
        request,
        lifecycle.request_return(
            ticket=_get(request, number), by=request.auth, reason=payload.reason
        ),
    )


@_post("return/approve", "同意退单")
def approve_return(request, number: str, payload: NoteIn | None = None):
    return _done(
        request,
        lifecycle.approve_return(
            ticket=_get(request, number), by=request.auth, note=_note(payload)
        ),
    )


@_post("return/reject", "驳回退单")
def reject_return(request, number: str, payload: ReasonIn):
    return _done(
        request,
        lifecycle.reject_return(
            ticket=_get(request, number), by=request.auth, reason=payload.reason
        ),
    )


@_post("extension", "申请延期")
def request_extension(request, number: str, payload: ExtensionIn):
    return _done(
        request,
        lifecycle.request_extension(
            ticket=_get(request, number), by=request.auth, days=payload.days, reason=payload.reason
        ),
    )


@_post("extension/approve", "同意延期")
def approve_extension(request, number: str, payload: NoteIn | None = None):
    return _done(
        request,
        lifecycle.approve_extension(
            ticket=_get(request, number), by=request.auth, note=_note(payload)
        ),
    )


@_post("extension/reject", "驳回延期")
def reject_extension(request, number: str, payload: ReasonIn):
    return _done(
        request,
        lifecycle.reject_extension(
            ticket=_get(request, number), by=request.auth, reason=payload.reason
        ),
    )


@_post("reply", "答复")
def reply(request, number: str, payload: ReplyIn):
    return _done(
        request, lifecycle.reply(ticket=_get(request, number), by=request.auth, body=payload.body)
    )


@_post("reply/approve", "审核通过")
def approve_reply(request, number: str, payload: NoteIn | None = None):
    return _done(
        request,
        lifecycle.approve_reply(ticket=_get(request, number), by=request.auth, note=_note(payload)),
    )


@_post("reply/reject", "审核退回")
def reject_reply(request, number: str, payload: ReasonIn):
    return _done(
        request,
        lifecycle.reject_reply(
            ticket=_get(request, number), by=request.auth, reason=payload.reason
        ),
    )


@_post("callback", "回访")
def callback(request, number: str, payload: CallbackIn):
    return _done(
        request,
        lifecycle.callback(
            ticket=_get(request, number),
            by=request.auth,
            satisfaction=str(payload.satisfaction),
            resolved=payload.resolved,
            note=_note(payload),
        ),
    )


@_post("close", "办结（免回访）")
def close(request, number: str, payload: ReasonIn):
    return _done(
        request,
        lifecycle.close(ticket=_get(request, number), by=request.auth, reason=payload.reason),
    )


@_post("reopen", "重办")
def reopen(request, number: str, payload: ReasonIn):
    return _done(
        request,
        lifecycle.reopen(ticket=_get(request, number), by=request.auth, reason=payload.reason),
    )


@_post("merge", "并单")
def merge(request, number: str, payload: MergeIn):
    t = _get(request, number)
    try:
        into = _get(request, payload.into)
    except Http404 as exc:
        raise InvalidInput(
            "并入的工单不存在", f"unknown ticket {payload.into}", field="into"
        ) from exc
    return _done(
        request, lifecycle.merge(ticket=t, into=into, by=request.auth, note=_note(payload))
    )


@_post("supervise", "督办")
def supervise(request, number: str, payload: SuperviseIn):
    return _done(
        request,
        lifecycle.supervise(
            ticket=_get(request, number),
            by=request.auth,
            reason=payload.reason,
            level=payload.level,
        ),
    )


@_post("leader/approve", "分管领导同意")
def leader_approve(request, number: str, payload: NoteIn | None = None):
    return _done(
        request,
        lifecycle.leader_approve(
            ticket=_get(request, number), by=request.auth, note=_note(payload)
        ),
    )


@_post("leader/reject", "分管领导驳回")
def leader_reject(request, number: str, payload: ReasonIn):
    return _done(
        request,
        lifecycle.leader_reject(
            ticket=_get(request, number), by=request.auth, reason=payload.reason
        ),
    )


@_post("leader/withdraw", "撤回待审批事项")
def withdraw_submission(request, number: str):
    return _done(
        request, lifecycle.withdraw_submission(ticket=_get(request, number), by=request.auth)
    )


def pending_approvals(user, limit: int = 200) -> list[LeaderApproval]:
    """What waits for `user` as leader: the matters of the units they lead."""
    units = [m.unit_id for m in scope.memberships(user) if m.role == Role.LEADER]
    if not units:
        raise Forbidden("只有分管领导可以查看待审批事项", "only a unit leader has approvals")
    return list(
        lifecycle.waiting_for(units).select_related("ticket", "unit", "submitted_by")[:limit]
    )


@router.get("/approvals", response={200: list[ApprovalOut], **ERRORS}, summary="待分管领导审批")
def list_approvals(request):
    return [approval_out(a) for a in pending_approvals(request.auth)]


@router.post(
    "/tickets/{number}/attachments", response=RESPONSES, summary="上传附件（multipart，字段 file）"
)
def attach(request, number: str, file: File[UploadedFile]):
    t = _get(request, number)
    lifecycle.attach(ticket=t, by=request.auth, upload=file)
    return _done(request, t)


@router.get(
    "/tickets/{number}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    summary="下载附件",
)
def download(request, number: str, attachment_id: int):
    t = _get(request, number)  # 404 outside the caller's scope
    a = Attachment.objects.filter(ticket=t, pk=attachment_id).first()
    if a is None:
        raise Http404
    return download_response(a)


def download_response(a: Attachment) -> FileResponse:
    """The attachment as a download under the name it was uploaded with (page and API)."""
    return FileResponse(
        a.file.open("rb"), as_attachment=True, filename=a.name, content_type=a.content_type
    )
