"""Checks shared by the transitions: state, actor's role and unit, and input."""

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import Membership, Role, Unit

from .models import Status, Ticket

ACTION_NAMES = {
    "register": "受理",
    "resolve_at_intake": "直接办结",
    "accept": "受理确认",
    "dispatch": "派单",
    "transfer": "转派下级中心",
    "sub_dispatch": "下派",
    "acknowledge": "签收",
    "acknowledge_assist": "协办签收",
    "request_return": "申请退单",
    "approve_return": "同意退单",
    "reject_return": "驳回退单",
    "request_extension": "申请延期",
    "approve_extension": "同意延期",
    "reject_extension": "驳回延期",
    "submit_to_leader": "提交分管领导审批",
    "attach": "上传附件",
    "leader_approve": "分管领导同意",
    "leader_reject": "分管领导驳回",
    "withdraw_submission": "撤回待审批事项",
    "reply": "答复",
    "approve_reply": "审核通过",
    "reject_reply": "审核退回",
    "callback": "回访",
    "reopen": "重办",
    "close": "办结",
    "merge": "并单",
    "absorb": "并入重复件",
    "mark_invalid": "标记无效",
    "supervise": "督办",
    "tighten_deadline": "缩短办理时限",
    "supplement": "补充诉求",
    "urge": "催办",
    "self_report": "自办件报送",
    "police_handover": "移交公安（110联动）",
    "police_acknowledge": "公安签收",
    "police_progress": "公安反馈进展",
    "police_conclude": "公安办结",
    "police_ack_overdue": "公安超时未签收",
    "police_result": "办理结果回告公安",
}

ROLE_NAMES = dict(Role.choices)


def require_status(ticket: Ticket, allowed, action: str) -> None:
    if ticket.status not in allowed:
        raise IllegalTransition(
            f"工单当前状态为「{Status(ticket.status).label}」，不能{ACTION_NAMES[action]}",
            f"Ticket is {ticket.status}; '{action}' is not allowed in this state",
            field="status",
        )


WHERE_EN = {
    "热线中心或承办单位": "the ticket's center or a unit it is assigned to",
    "责任中心": "the ticket's center",
    "承办单位": "the lead unit",
    "热线中心": "a hotline center",
    "辖区": "the ticket's region",
}


def forbidden(action: str, roles, where: str) -> Forbidden:
    """The refusal when the actor lacks one of `roles` in the place `where` names."""
    names = "、".join(ROLE_NAMES[r] for r in sorted(roles))  # a set's order differs per process
    return Forbidden(
        f"只有{where}的{names}可以{ACTION_NAMES[action]}",
        f"Only a {'/'.join(sorted(roles))} of {WHERE_EN.get(where, where)} may '{action}'",
    )


def at_center(user, ticket: Ticket, roles, action: str) -> Membership:
    """The actor's membership at the ticket's center or a center above it."""
    m = scope.center_membership(user, ticket.center, roles)
    if m is None:
        raise forbidden(action, roles, "责任中心")
    return m


def in_unit(user, unit: Unit | None, roles, action: str) -> Membership:
    m = scope.unit_membership(user, unit, roles)
    if m is None:
        raise forbidden(action, roles, "承办单位")
    return m


def text(value: str | None, field: str, label: str, *, min_len=1, max_len=2000) -> str:
    value = (value or "").strip()
    if len(value) < min_len:
        raise InvalidInput(
            f"{label}不能为空" if min_len == 1 else f"{label}至少{min_len}个字",
            f"{field} is required" if min_len == 1 else f"{field} needs {min_len}+ characters",
            field=field,
        )
    if len(value) > max_len:
        raise InvalidInput(
            f"{label}不能超过{max_len}个字",
            f"{field} must be at most {max_len} characters",
            field=field,
        )
    return value


def active_unit(unit: Unit | None, field: str) -> Unit:
    if unit is None or not unit.is_active:
        raise InvalidInput("单位不存在或已停用", "unit does not exist or is inactive", field=field)
    return unit
