"""Bulk exports of a filtered ticket list: approval, a background build, one download, a log.

An export at or under the center's threshold, masked, is built at once; one above it, or one
asking for citizens' names and phones in full, waits for a leader (分管领导) or the security
auditor (安全审计员) of the requester's center, never the requester (separation of duties).
The file is built in the background (django-tasks, `hotline db_worker`) with its progress on
the request; the requester downloads it once, then the file is gone. Every request, approval,
refusal and download is a row of the append-only ExportEvent log; a full export's download
also writes one access-log row (PersonalDataView) per ticket and field it exposes.
"""

import logging
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task
from openpyxl import Workbook
from pydantic import ValidationError

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.exchange.export import COLUMNS, MAX_ROWS, cell
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, READONLY_ROLES, UNIT_ROLES, Role, Unit
from hotline.tickets.api import filter_tickets, ticket_out
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketFilters

from .models import (
    ExportAction,
    ExportEvent,
    ExportPolicy,
    ExportRequest,
    ExportState,
    PersonalDataView,
    PersonalField,
    center_of,
    threshold_of,
)
from .services import MAX_REASON, MIN_REASON, REVEAL_ROLES, may_reveal

log = logging.getLogger("hotline.exports")

# Who may ask for an export: anyone who sees tickets. Who may ask for it in full: those who
# may see a citizen in full on the ticket page (not the administrator, not read-only roles).
REQUEST_ROLES = CENTER_ROLES | READONLY_ROLES | UNIT_ROLES
APPROVER_ROLES = {Role.LEADER, Role.SECURITY_AUDITOR}
MAX_THRESHOLD = MAX_ROWS
# The filters a request keeps (the list's, without its paging).
FILTER_FIELDS = ("status", "region", "created_from", "created_to", "q")
FULL_FIELDS = (PersonalField.NAME, PersonalField.PHONE)
FILTER_LABELS = {"status": "状态", "region": "区划代码", "created_from": "受理日期起",
                 "created_to": "受理日期止", "q": "关键词"}  # fmt: skip
PROGRESS_EVERY = 500
# A built file waits this long for its one download, then it is deleted (settings.EXPORT_KEEP_HOURS).
KEEP_HOURS = 72


def export_dir() -> Path:
    """Where built files wait for their one download (settings.EXPORT_DIR, else var/exports)."""
    return Path(getattr(settings, "EXPORT_DIR", None) or Path(settings.VAR_DIR) / "exports")


def set_threshold(*, user, center: Unit, value) -> ExportPolicy:
    """The center's administrator sets the rows above which an export waits for approval."""
    if not any(m.role == Role.ADMIN and m.unit_id == center.pk for m in scope.memberships(user)):
        raise Forbidden("只有本中心的系统管理员可以修改导出阈值",
                        "only the center's administrator may set the export threshold")  # fmt: skip
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_THRESHOLD:
        raise InvalidInput(
            f"导出审批阈值应为 1–{MAX_THRESHOLD} 之间的整数",
            f"threshold must be a whole number from 1 to {MAX_THRESHOLD}",
            field="threshold",
        )
    policy, _ = ExportPolicy.objects.update_or_create(
        center=center,
        defaults={"threshold": number, "updated_by": user, "updated_at": timezone.now()},
    )
    return policy


def parse_filters(data: dict) -> TicketFilters:
    """The list's filters from a form; a bad one is an error naming it."""
    raw = {k: data[k] for k in FILTER_FIELDS if data.get(k) not in (None, "", [])}
    if "status" in raw and not isinstance(raw["status"], list):
        raw["status"] = [raw["status"]]
    try:
        return TicketFilters(**raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else "filters"
        label = FILTER_LABELS.get(name, name)
        raise InvalidInput(
            f"筛选条件“{label}”不正确", f"{name}: {first['msg']}", field=name
        ) from None


def _label(f: TicketFilters) -> str:
    parts = []
    if f.status:
        parts.append("状态=" + "、".join(s.label for s in f.status))
    if f.region:
        parts.append(f"区划={f.region}")
    if f.created_from or f.created_to:
        parts.append(f"受理日期 {f.created_from or '…'} 至 {f.created_to or '…'}")
    if f.q:
        parts.append(f"关键词={f.q}")
    return "；".join(parts)[:300] or "全部（本人可见范围）"


def _event(req, *, user, action, note="", address=None):
    ExportEvent.objects.create(at=timezone.now(), user=user, request=req, center=req.center,
                               action=action, rows=req.row_count, full=req.full, note=note,
                               address=address)  # fmt: skip


def _reason(text: str, field: str, what_zh: str, what_en: str) -> str:
    text = (text or "").strip()
    if not MIN_REASON <= len(text) <= MAX_REASON:
        raise InvalidInput(f"{what_zh}应为 {MIN_REASON}–{MAX_REASON} 个字",
                           f"{what_en} must be {MIN_REASON} to {MAX_REASON} characters",
                           field=field)  # fmt: skip
    return text


def create(*, user, unit: Unit, data: dict, reason: str, full: bool, address=None):
    """Ask for an export of the list under `data`'s filters, as a member of `unit`. Under the
    threshold and masked it starts building at once; else it waits for approval."""
    reason = _reason(reason, "reason", "导出理由", "reason")
    filters = parse_filters(data)
    if full and not any(m.role in REVEAL_ROLES for m in scope.memberships(user)):
        raise Forbidden("您的角色不能导出完整个人信息", "your role may not export full personal data",
                        field="full")  # fmt: skip
    center = center_of(unit)
    if center is None:
        raise Forbidden("所在单位不属于任何热线中心", "your unit is under no hotline center")
    rows = filter_tickets(user, filters).count()
    if rows == 0:
        raise InvalidInput("筛选结果为空，没有可导出的工单", "the filters match no ticket",
                           field="filters")  # fmt: skip
    if rows > MAX_ROWS:
        raise InvalidInput(f"导出行数 {rows} 超过上限 {MAX_ROWS}，请缩小筛选范围",
                           f"{rows} rows exceed the limit of {MAX_ROWS}; narrow the filters",
                           field="filters")  # fmt: skip
    threshold = threshold_of(center)
    needs = full or rows > threshold
    with transaction.atomic():
        req = ExportRequest.objects.create(
            requester=user, center=center, filters=filters.model_dump(
                mode="json", include=set(FILTER_FIELDS), exclude_none=True),
            filters_label=_label(filters), row_count=rows,
            reason=reason, full=full, threshold=threshold, needs_approval=needs,
            state=ExportState.PENDING if needs else ExportState.BUILDING, created_at=timezone.now(),
        )  # fmt: skip
        _event(req, user=user, action=ExportAction.REQUESTED, note=reason, address=address)
        if not needs:
            _start(req)
    return req


def _start(req):
    transaction.on_commit(lambda: build_task.enqueue(req.pk))


def visible_requests(user) -> QuerySet:
    """The requests `user` may decide: those of the centers where they are leader or auditor."""
    centers = [m.unit_id for m in scope.memberships(user) if m.role in APPROVER_ROLES]
    return ExportRequest.objects.filter(center_id__in=centers).select_related(
        "requester", "decided_by", "center"
    )


def is_approver(user) -> bool:
    return any(m.role in APPROVER_ROLES for m in scope.memberships(user))


def _for_decision(user, pk) -> ExportRequest:
    req = visible_requests(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if req is None:
        raise NotFound("没有这个导出申请", "no such export request")
    if req.requester_id == user.pk:
        raise Forbidden("不能审批本人提交的导出申请", "you may not decide your own export request")
    if req.state != ExportState.PENDING:
        raise IllegalTransition(f"该申请已{req.get_state_display()}，不能再审批",
                                "the request has already been decided")  # fmt: skip
    return req


def approve(*, user, pk: int, address=None) -> ExportRequest:
    """A leader or auditor of the request's center, not the requester, approves: it builds."""
    with transaction.atomic():
        req = _for_decision(user, pk)
        req.state, req.decided_by, req.decided_at = ExportState.BUILDING, user, timezone.now()
        req.save(update_fields=["state", "decided_by", "decided_at"])
        _event(req, user=user, action=ExportAction.APPROVED, address=address)
        _start(req)
    return req


def refuse(*, user, pk: int, reason: str, address=None) -> ExportRequest:
    """Refused with a reason the requester reads; nothing is built."""
    reason = _reason(reason, "refusal", "拒绝理由", "refusal reason")
    with transaction.atomic():
        req = _for_decision(user, pk)
        req.state, req.decided_by, req.decided_at = ExportState.REFUSED, user, timezone.now()
        req.refusal = reason
        req.save(update_fields=["state", "decided_by", "decided_at", "refusal"])
        _event(req, user=user, action=ExportAction.REFUSED, note=reason, address=address)
    return req


def _row(user, t: Ticket, now, full: bool) -> tuple[list, bool]:
    out = ticket_out(user, t, now)
    shown = full and may_reveal(user, t)
    if shown:
        out["citizen_name"], out["citizen_phone"] = t.citizen_name, t.citizen_phone
    return [cell(out[key]) for key, _ in COLUMNS], shown


def build(pk: int) -> ExportRequest:
    """Write the file of a request being built, in the requester's scope at this moment;
    progress after every PROGRESS_EVERY rows. Idempotent: a request not building is left."""
    req = ExportRequest.objects.select_related("requester").get(pk=pk)
    if req.state != ExportState.BUILDING or req.file_name:
        return req
    user = req.requester
    qs = filter_tickets(user, parse_filters(req.filters)).select_related(
        "center", "lead_unit", "category", "region", "merged_into"
    )
    ExportRequest.objects.filter(pk=pk).update(total=req.row_count, done=0)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append([label for _, label in COLUMNS])
    now, exposed, done = timezone.now(), [], 0
    try:
        for t in qs.order_by("-pk")[:MAX_ROWS].iterator(chunk_size=2000):
            line, shown = _row(user, t, now, req.full)
            sheet.append(line)
            if shown:
                exposed.append(t.pk)
            done += 1
            if done % PROGRESS_EVERY == 0:
                ExportRequest.objects.filter(pk=pk).update(done=done)
        folder = export_dir()
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.xlsx"  # nobody can guess or collide with it
        book.save(folder / name)
    except Exception as exc:  # recorded on the request for its page; the worker goes on
        log.exception("export %s failed", pk)
        ExportRequest.objects.filter(pk=pk).update(state=ExportState.FAILED,
                                                   message=f"生成失败：{exc}"[:300])  # fmt: skip
        return ExportRequest.objects.get(pk=pk)
    ExportRequest.objects.filter(pk=pk, state=ExportState.BUILDING).update(
        state=ExportState.READY, done=done, total=done, file_name=name, ticket_ids=exposed
    )
    return ExportRequest.objects.get(pk=pk)


@task()
def build_task(pk: int) -> None:
    build(pk)


def purge_expired(now: float | None = None) -> int:
    """The worker's hourly job: a file of citizens' data must not wait on disk forever. A built
    file not downloaded within KEEP_HOURS is deleted and its request marked expired; so is a
    file that no request waits for (a build that died after writing). Returns files deleted."""
    now = time.time() if now is None else now
    keep = timedelta(hours=getattr(settings, "EXPORT_KEEP_HOURS", KEEP_HOURS)).total_seconds()
    folder = export_dir()
    if not folder.is_dir():
        return 0
    waiting = dict(
        ExportRequest.objects.filter(state=ExportState.READY).values_list("file_name", "pk")
    )
    deleted = 0
    for path in folder.glob("*.xlsx"):
        try:
            if now - path.stat().st_mtime < keep:
                continue
            path.unlink()
        except FileNotFoundError:  # downloaded meanwhile: the download unlinks it
            continue
        deleted += 1
        if path.name in waiting:
            ExportRequest.objects.filter(pk=waiting[path.name], state=ExportState.READY).update(
                state=ExportState.EXPIRED, message="超过保留期限未下载，文件已删除"
            )
    return deleted


def download(*, user, pk: int, address=None):
    """The requester's one download: the open file (already unlinked, so the link is spent
    whatever happens next) and the request. Logged; a full export logs every ticket and field."""
    with transaction.atomic():
        req = ExportRequest.objects.select_for_update().filter(pk=pk, requester=user).first()
        if req is None:
            raise NotFound("没有这个导出申请", "no such export request")
        if req.state != ExportState.READY:
            raise IllegalTransition(f"该导出{req.get_state_display()}，不能下载",
                                    "this export cannot be downloaded (not ready, or already "
                                    "downloaded)")  # fmt: skip
        path = export_dir() / req.file_name
        handle = open(path, "rb")  # noqa: SIM115 - handed to the response, which closes it
        path.unlink()
        req.state, req.downloaded_at = ExportState.DOWNLOADED, timezone.now()
        req.save(update_fields=["state", "downloaded_at"])
        _event(req, user=user, action=ExportAction.DOWNLOADED, address=address)
        if req.full:
            _log_exposed(req, user, address)
    return handle, req


def _log_exposed(req, user, address):
    reason = f"批量导出 #{req.pk}：{req.reason}"[:200]
    ids = req.ticket_ids
    for start in range(0, len(ids), 2000):
        tickets = Ticket.objects.filter(pk__in=ids[start : start + 2000]).values_list(
            "pk", "number", "center_id"
        )
        PersonalDataView.objects.bulk_create(
            [
                PersonalDataView(at=req.downloaded_at, user=user, ticket_id=pk, ticket_number=number,
                                 center_id=center, field=f, reason=reason, address=address)
                for pk, number, center in tickets
                for f in FULL_FIELDS
            ],
            batch_size=2000,
        )  # fmt: skip


def visible_events(user) -> QuerySet:
    """The export log rows a security auditor reads (the regions of their memberships)."""
    q = Q(pk__in=[])
    for m in scope.memberships(user):
        if m.role == Role.SECURITY_AUDITOR:
            q |= Q(center__region__path__startswith=m.unit.region.path)
    return ExportEvent.objects.filter(q).select_related("user", "center")
