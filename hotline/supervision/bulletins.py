"""典型曝光 bulletins: a center's supervisors draft one from chosen cases, the center's leader
(分管领导 of the center) approves it or sends it back, a supervisor issues it. The issued Word
file is kept as issued (its SHA-256 beside it); a draft is the only state that takes cases.

Scope: a bulletin is seen by the supervisors and leaders of its center and of the centers
above; anybody else gets 404.
"""

import hashlib

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.orgs import scope
from hotline.orgs.models import Membership, Role, Unit
from hotline.tickets.guards import text

from . import bulletin_doc, cases, notify
from .models import Bulletin, BulletinCase, BulletinState

MAX_CASES = 30
READERS = {Role.SUPERVISOR, Role.LEADER}


def drafting_centers(user) -> list[Unit]:
    """Centers whose bulletins the user drafts and issues: where they are a supervisor."""
    return [
        m.unit for m in scope.memberships(user) if m.role == Role.SUPERVISOR and m.unit.is_center
    ]


def visible_bulletins(user):
    qs = Bulletin.objects.select_related("center", "drafted_by", "approved_by", "issued_by")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    condition = Q(pk__in=[])
    for m in scope.memberships(user):
        if m.role in READERS and m.unit.is_center:
            condition |= Q(center__path__startswith=m.unit.path)
    return qs.filter(condition)


def get_bulletin(user, bulletin_id: int) -> Bulletin:
    b = visible_bulletins(user).filter(pk=bulletin_id).first()
    if b is None:
        raise NotFound("通报不存在", "no such bulletin", field="bulletin_id")
    return b


def _drafter(user, b: Bulletin) -> None:
    if scope.center_membership(user, b.center, {Role.SUPERVISOR}) is None:
        raise Forbidden("只有本中心效能督查人员可以编辑、印发通报",
                        "only a supervisor of the center may edit or issue")  # fmt: skip


def _leader(user, b: Bulletin) -> None:
    if scope.center_membership(user, b.center, {Role.LEADER}) is None:
        raise Forbidden("只有中心分管领导可以审批通报", "only the center's leader may approve")
    if user.pk == b.drafted_by_id:
        raise Forbidden("起草人不能审批自己的通报", "the drafter may not approve their own draft")


def _require(b: Bulletin, state: str, action: str) -> None:
    if b.state != state:
        raise IllegalTransition(f"通报当前为「{b.get_state_display()}」，不能{action}",
                                f"bulletin is {b.state}; cannot {action}", field="state")  # fmt: skip


def _lock(b: Bulletin) -> Bulletin:
    return Bulletin.objects.select_for_update().select_related("center").get(pk=b.pk)


def create(*, by, title: str, center: Unit | None = None, now=None) -> Bulletin:
    """A supervisor starts a draft for their center."""
    centers = drafting_centers(by)
    if not centers:
        raise Forbidden("只有热线中心效能督查人员可以起草通报",
                        "only a center's supervisor may draft a bulletin")  # fmt: skip
    center = center or centers[0]
    if center not in centers:
        raise NotFound("中心不存在", "no such center", field="center")
    title = text(title, "title", "标题", min_len=4, max_len=200)
    return Bulletin.objects.create(center=center, title=title, state=BulletinState.DRAFT,
                                   drafted_by=by, created_at=now or timezone.now())  # fmt: skip


def add_case(*, bulletin: Bulletin, by, source: str, ref: int, why_wrong: str) -> BulletinCase:
    """Name one case: the source record is looked up in the user's scope and must concern a
    unit of the bulletin's region; `why_wrong` says why the unit's conduct is wrong."""
    why_wrong = text(why_wrong, "why_wrong", "错误所在", min_len=4, max_len=2000)
    with transaction.atomic():
        b = _lock(bulletin)
        _drafter(by, b)
        _require(b, BulletinState.DRAFT, "添加案例")
        found = cases.find(by, source, ref)
        if found is None or not cases.within(b.center).filter(pk=found.unit.pk).exists():
            raise NotFound("案例来源不存在", "no such case source", field="ref")
        if b.cases.filter(source=source, ref=ref).exists():
            raise InvalidInput("该案例已在通报中", "the case is already in the bulletin",
                               field="ref")  # fmt: skip
        if b.cases.count() >= MAX_CASES:
            raise InvalidInput(f"每期最多 {MAX_CASES} 个案例", f"at most {MAX_CASES} cases",
                               field="ref")  # fmt: skip
        order = (b.cases.aggregate(n=Max("order"))["n"] or 0) + 1
        return BulletinCase.objects.create(
            bulletin=b, order=order, source=source, ref=ref, unit=found.unit,
            ticket=found.ticket, reply=found.reply[:4000], why_wrong=why_wrong,
            handler=found.handler[:64], leader=found.leader[:64],
        )  # fmt: skip


def remove_case(*, bulletin: Bulletin, by, case_id: int) -> None:
    with transaction.atomic():
        b = _lock(bulletin)
        _drafter(by, b)
        _require(b, BulletinState.DRAFT, "删除案例")
        if not b.cases.filter(pk=case_id).delete()[0]:
            raise NotFound("案例不存在", "no such case", field="case_id")


def submit(*, bulletin: Bulletin, by, now=None) -> Bulletin:
    """Send the draft to the center's leaders for approval."""
    with transaction.atomic():
        b = _lock(bulletin)
        _drafter(by, b)
        _require(b, BulletinState.DRAFT, "送审")
        if not b.cases.exists():
            raise InvalidInput("通报至少要有一个案例", "add at least one case", field="cases")
        b.state, b.submitted_at = BulletinState.SUBMITTED, now or timezone.now()
        b.save(update_fields=["state", "submitted_at"])
        leaders = Membership.objects.filter(unit=b.center, role=Role.LEADER, is_active=True)
        notify.send_batch({
            uid: ("典型曝光待审批", b.title, f"/supervision/bulletins/{b.pk}/")
            for uid in leaders.values_list("user_id", flat=True)
        })  # fmt: skip
    return b


def decide(*, bulletin: Bulletin, by, approve: bool, note: str = "", now=None) -> Bulletin:
    """The leader approves the submitted draft, or sends it back with a reason."""
    note = text(note, "note", "审批意见", min_len=0 if approve else 2, max_len=1000)
    with transaction.atomic():
        b = _lock(bulletin)
        _leader(by, b)
        _require(b, BulletinState.SUBMITTED, "审批")
        b.review_note = note
        if approve:
            b.state, b.approved_by, b.approved_at = (
                BulletinState.APPROVED,
                by,
                now or timezone.now(),
            )
        else:
            b.state, b.approved_by, b.approved_at = BulletinState.DRAFT, None, None
        b.save(update_fields=["state", "approved_by", "approved_at", "review_note"])
        notify.notify(user=b.drafted_by, title="典型曝光已审批" if approve else "典型曝光被退回",
                      body=note or b.title, link=f"/supervision/bulletins/{b.pk}/")  # fmt: skip
    return b


def issue(*, bulletin: Bulletin, by, now=None) -> Bulletin:
    """Issue the approved bulletin: its number of the center and the Word file, kept as issued."""
    now = now or timezone.now()
    with transaction.atomic():
        b = _lock(bulletin)
        _drafter(by, b)
        _require(b, BulletinState.APPROVED, "印发")
        last = Bulletin.objects.filter(center=b.center).aggregate(n=Max("serial"))["n"]
        b.serial = (last or 0) + 1
        b.state, b.issued_by, b.issued_at = BulletinState.ISSUED, by, now
        data = bulletin_doc.build(b, list(b.cases.select_related("unit", "ticket")),
                                  day=to_local(now).date())  # fmt: skip
        b.document, b.sha256 = data, hashlib.sha256(data).hexdigest()
        b.save()
    return b
