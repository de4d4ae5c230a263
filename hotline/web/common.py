"""What every workbench page shares: the active membership, the ticket lookup, error display.

A user may hold several memberships (a handler in one unit, a leader in another); the one
they work as right now is kept in the session. Which tickets exist for them is still decided by
`scope.visible_tickets` alone; the active membership only picks which queue to show.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from hotline.errors import HotlineError
from hotline.orgs import scope
from hotline.orgs.models import Membership, Role
from hotline.tickets.models import Ticket

SESSION_KEY = "hotline_active_membership"

# Which queue each role works in: (url name, Chinese label). The order is the navigation's.
ROLE_QUEUES = {
    Role.AGENT: ("web:intake", "受理"),
    Role.DISPATCHER: ("web:dispatch", "派单"),
    Role.HANDLER: ("web:inbox", "承办"),
    Role.LEADER: ("web:inbox", "承办"),
    Role.REVIEWER: ("web:review", "审核"),
    Role.CALLBACK: ("web:callback", "回访"),
    Role.SUPERVISOR: ("web:supervise", "督查"),
    Role.ANALYST: ("web:supervise", "督查"),
}

# Further pages per role, after the role's queue: (url name, label). Each app adds its own
# pages here rather than editing the shell.
ROLE_LINKS: dict[str, list[tuple[str, str]]] = {
    # 质检: quality checkers score there; agents and dispatchers see their results and appeal.
    # 突发事件: agents read the incidents' 口径; center staff raise and sign urgent reports.
    Role.AGENT: [
        ("calls:desk", "座席"),
        ("calls:callbacks", "回拨队列"),
        ("quality:home", "质检"),
        ("incidents:home", "突发事件"),
    ],
    Role.DISPATCHER: [("quality:home", "质检"), ("incidents:reports", "紧急信息")],
    Role.CALLBACK: [("calls:callbacks", "回拨队列")],
    Role.SUPERVISOR: [
        ("calls:wallboard", "话务监控"),
        ("supervision:ledger", "督办台账"),
        ("evaluation:scorecards", "考评"),
        ("reports:index", "报告"),
        ("reports:dashboard", "大屏"),
        ("analytics:warnings", "预警"),
        ("analytics:topics", "热点"),
        ("evaluation:accountability", "问责"),
        ("incidents:reports", "紧急信息"),
    ],
    Role.ANALYST: [
        ("calls:wallboard", "话务监控"),
        ("evaluation:scorecards", "考评"),
        ("reports:index", "报告"),
        ("reports:dashboard", "大屏"),
        ("analytics:warnings", "预警"),
        ("analytics:topics", "热点"),
    ],
    Role.ADMIN: [
        ("portal_import:upload", "历史导入"),
        ("calls:wallboard", "话务监控"),
        ("incidents:home", "突发事件"),
        ("incidents:reports", "紧急信息"),
    ],
    Role.LEADER: [
        ("web:approvals", "待审批"),
        ("evaluation:scorecards", "考评"),  # the unit's own scorecard
    ],
    # The log of who saw citizens in full, and the bulk exports waiting for a decision.
    Role.SECURITY_AUDITOR: [("audit:access_log", "访问日志"), ("audit:export_queue", "导出审批")],
}
# 数据导出 (issue 18): every role that sees tickets may ask; a leader decides for a center.
for _role in (*ROLE_QUEUES, Role.ADMIN):
    ROLE_LINKS.setdefault(_role, []).append(("audit:exports", "数据导出"))
ROLE_LINKS[Role.LEADER].append(("audit:export_queue", "导出审批"))
ROLE_LINKS[Role.ADMIN].append(("audit:export_settings", "导出阈值"))


def active_membership(request) -> Membership | None:
    """The membership the user works as: the one chosen in the session, else the first."""
    ms = scope.memberships(request.user)
    wanted = request.session.get(SESSION_KEY)
    for m in ms:
        if m.pk == wanted:
            return m
    return ms[0] if ms else None


def memberships_with(request, roles) -> list[Membership]:
    """The user's memberships with one of `roles`, the active one first."""
    active = active_membership(request)
    ms = [m for m in scope.memberships(request.user) if m.role in roles]
    ms.sort(key=lambda m: m != active)
    return ms


def role_required(*roles):
    """A page for some roles only: anyone else is told it does not exist (rule 2: 404)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            ms = memberships_with(request, set(roles))
            # A queue belongs to a post: without one (a superuser too) there is no queue.
            if not ms:
                raise Http404
            request.role_memberships = ms
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def visible_ticket(request, number: str, *, related=()) -> Ticket:
    """The ticket, if the user may see it; else 404 as if it did not exist."""
    t = (
        scope.visible_tickets(request.user)
        .select_related(
            "center__region", "lead_unit__region", "category", "region", "merged_into", *related
        )
        .filter(number=number)
        .first()
    )
    if t is None:
        raise Http404
    return t


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def page(request, template, context, partial=None, status=200):
    """A full page, or only its partial when htmx asked for a piece of it."""
    name = partial if partial and is_htmx(request) else template
    return render(request, name, context, status=status)


def error_text(exc: HotlineError) -> str:
    return exc.message_zh


def flag(value) -> bool:
    return str(value).lower() in {"1", "on", "true", "yes"}
