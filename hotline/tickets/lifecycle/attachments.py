"""Attachments (附件): a file added to a ticket's record, by the people working on it.

Adding one does not move the ticket; it is recorded as an `attach` event (name, size and
SHA-256 of the content) in the hash chain like every other change. Accepted: photos and the
documents units answer with, checked by their first bytes as well as by their name, up to
ATTACHMENT_MAX_BYTES. Who may add: the ticket's center (agents, dispatchers, reviewers,
callback agents) and the units it is assigned to (lead or assisting, still active).
"""

import hashlib
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from hotline.errors import InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, UNIT_ROLES

from ..guards import forbidden, require_status
from ..models import Attachment, Status, Ticket
from ._base import _commit, _lock

OFFICE = b"PK\x03\x04"  # .docx / .xlsx are zip files
OLE = b"\xd0\xcf\x11\xe0"  # .doc / .xls
# suffix → (content type, accepted first bytes)
KINDS = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (OFFICE,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (OFFICE,)),
    ".doc": ("application/msword", (OLE,)),
    ".xls": ("application/vnd.ms-excel", (OLE,)),
}
OPEN_FOR_FILES = set(Status) - {Status.MERGED, Status.INVALID}


def may_attach(user, t: Ticket):
    """The membership `user` adds files to `t` as, or None."""
    m = scope.center_membership(user, t.center, CENTER_ROLES)
    if m is not None:
        return m
    units = {a.unit_id for a in t.assignments.filter(is_active=True)}
    for m in scope.memberships(user):
        if m.role in UNIT_ROLES and m.unit_id in units:
            return m
    return None


def _name(raw: str) -> str:
    """The file's own name, without any folder a browser or a client put in front of it."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name.strip()
    if not name:
        raise InvalidInput("请选择要上传的文件", "choose a file to upload", field="file")
    return name[-200:]


def _kind(name: str) -> tuple[str, tuple]:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in KINDS:
        raise InvalidInput(
            "只能上传 jpg、png、pdf、Word 或 Excel 文件",
            f"file type {suffix or '(none)'} is not accepted: jpg, png, pdf, doc(x), xls(x)",
            field="file",
        )
    return KINDS[suffix]


def _size(n: int) -> None:
    limit = settings.ATTACHMENT_MAX_BYTES
    if n == 0:
        raise InvalidInput("文件是空的", "the file is empty", field="file")
    if n > limit:
        mb = limit // (1024 * 1024)
        raise InvalidInput(f"文件超过 {mb} MB", f"the file is larger than {mb} MB", field="file")


IMAGES = {".jpg", ".jpeg", ".png"}


def checked(upload, *, suffixes=None, field: str = "file") -> tuple[str, bytes, str]:
    """(name, content, content type) of an accepted upload, or InvalidInput naming `field`.
    `suffixes` narrows what is accepted (the portal takes photos only). Reads the upload and
    rewinds it, so a caller may check first and attach after."""
    try:
        if upload is None:
            raise InvalidInput("请选择要上传的文件", "choose a file to upload", field="file")
        name = _name(upload.name)
        if suffixes is not None and PurePosixPath(name).suffix.lower() not in suffixes:
            raise InvalidInput("只能上传 jpg 或 png 照片", "only jpg or png photos", field="file")
        content_type, heads = _kind(name)
        _size(upload.size)  # before reading it
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        _size(len(data))
        if not data.startswith(heads):
            raise InvalidInput(
                "文件内容与扩展名不符", "the content does not match its type", field="file"
            )
    except InvalidInput as exc:
        if field == "file":
            raise
        raise InvalidInput(
            f"{upload.name if upload else ''}：{exc.message_zh}",
            exc.message_en,
            field=field,
        ) from None
    return name, data, content_type


@transaction.atomic
def attach(*, ticket: Ticket, by, upload) -> Attachment:
    """Add `upload` (a Django UploadedFile) to the ticket's record."""
    t = _lock(ticket)
    require_status(t, OPEN_FOR_FILES, "attach")
    m = may_attach(by, t)
    if m is None:
        raise forbidden("attach", CENTER_ROLES | UNIT_ROLES, "热线中心或承办单位")
    name, data, content_type = checked(upload)
    now = timezone.now()
    a = Attachment(
        ticket=t,
        name=name,
        size=len(data),
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=by,
        unit=m.unit,
        created_at=now,
    )
    a.file.save(name, ContentFile(data), save=False)
    try:
        a.save()
        _commit(
            t,
            action="attach",
            from_status=t.status,
            actor=by,
            unit=m.unit,
            at=now,
            data={"name": name, "size": a.size, "sha256": a.sha256},
        )
    except BaseException:
        a.file.delete(save=False)  # nothing of a refused upload stays on disk
        raise
    return a
