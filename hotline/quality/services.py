"""State changes of the quality app: checkers, rubric, scoring, appeals and their decision.

Every function checks who acts (a checker of the item's center; the agent for an appeal),
validates the input completely before writing, and writes in one transaction.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.orgs.models import Membership, Unit
from hotline.tickets.guards import text

from .models import (
    Appeal,
    AppealState,
    Checker,
    ItemState,
    RubricLine,
    SampleItem,
    Score,
    ScoreKind,
    ScoreLine,
)

CENT = Decimal("0.01")
# The rubric a center starts with (registration, routing, policy answer, attitude).
DEFAULT_RUBRIC = [
    ("registration", "登记准确完整", 30),
    ("routing", "分类与承办单位正确", 25),
    ("policy", "政策解答正确", 25),
    ("attitude", "服务态度与用语规范", 20),
]


def appoint_checker(*, center: Unit, user) -> Checker:
    """Appoint `user` quality checker of `center`; they must work at the center already."""
    if not center.is_center:
        raise InvalidInput(
            "质检员只能在热线中心任命", "checkers belong to a center", field="center"
        )
    if not Membership.objects.filter(user=user, unit=center, is_active=True).exists():
        raise InvalidInput("该用户不是本中心人员", "the user does not work at the center",
                           field="user")  # fmt: skip
    checker, _ = Checker.objects.update_or_create(center=center, user=user,
                                                  defaults={"is_active": True})  # fmt: skip
    return checker


def ensure_rubric(center: Unit) -> list[RubricLine]:
    """The center's active rubric lines, created from DEFAULT_RUBRIC when it has none."""
    if not RubricLine.objects.filter(center=center).exists():
        RubricLine.objects.bulk_create(
            [RubricLine(center=center, code=c, label=label, points=p, order=i)
             for i, (c, label, p) in enumerate(DEFAULT_RUBRIC)]
        )  # fmt: skip
    return rubric(center)


def rubric(center: Unit) -> list[RubricLine]:
    return list(RubricLine.objects.filter(center=center, is_active=True).order_by("order", "id"))


def is_checker(user, center_id: int) -> bool:
    return Checker.objects.filter(center_id=center_id, user=user, is_active=True).exists()


def _check_lines(center: Unit, lines) -> list[tuple[RubricLine, int, str]]:
    """Every rubric line scored once, within its points; anything else is a clear error."""
    rubric_lines = rubric(center)
    if not rubric_lines:
        raise InvalidInput("本中心尚未制定评分细则", "the center has no rubric", field="lines")
    if not lines:
        raise InvalidInput("请按评分细则逐项评分", "score every rubric line", field="lines")
    by_code = {line.code: line for line in rubric_lines}
    seen: dict[str, tuple] = {}
    for i, given in enumerate(lines):
        code = str(given.get("line") or "")
        line = by_code.get(code)
        if line is None:
            raise InvalidInput(f"评分项「{code}」不在本中心的评分细则中",
                               f"{code!r} is not a line of the center's rubric",
                               field=f"lines[{i}].line")  # fmt: skip
        if code in seen:
            raise InvalidInput(f"评分项「{line.label}」重复", f"line {code} given twice",
                               field=f"lines[{i}].line")  # fmt: skip
        try:
            points = int(given.get("points"))
        except (TypeError, ValueError):
            points = -1
        if not 0 <= points <= line.points:
            raise InvalidInput(f"「{line.label}」的得分须在 0 到 {line.points} 之间",
                               f"points of {code} must be 0..{line.points}",
                               field=f"lines[{i}].points")  # fmt: skip
        note = str(given.get("note") or "").strip()
        if len(note) > 300:
            raise InvalidInput("说明不能超过300个字", "a note is at most 300 characters",
                               field=f"lines[{i}].note")  # fmt: skip
        seen[code] = (line, points, note)
    missing = [line.label for line in rubric_lines if line.code not in seen]
    if missing:
        raise InvalidInput(f"缺少评分项：{'、'.join(missing)}", "every rubric line must be scored",
                           field="lines")  # fmt: skip
    return [seen[line.code] for line in rubric_lines]


def _write_score(item, kind, by, checked, comment, now) -> Score:
    full = sum(line.points for line, _, _ in checked)
    got = sum(points for _, points, _ in checked)
    total = (Decimal(got) * 100 / full).quantize(CENT, ROUND_HALF_UP)
    score = Score.objects.create(item=item, kind=kind, checker=by, total=total,
                                 comment=comment, created_at=now)  # fmt: skip
    ScoreLine.objects.bulk_create(
        [ScoreLine(score=score, line=line, points=points, fault=points < line.points, note=note)
         for line, points, note in checked]
    )  # fmt: skip
    return score


def _lock(item: SampleItem) -> SampleItem:
    return SampleItem.objects.select_for_update().select_related("sample__center").get(pk=item.pk)


def _require_checker(by, item: SampleItem) -> None:
    if not is_checker(by, item.sample.center_id):
        raise Forbidden("只有本中心的质检员可以评分", "only a checker of the center may score")
    if by.pk == item.agent_id:
        raise Forbidden("质检员不能给自己的工单评分", "a checker never scores their own work")


def score_item(*, item: SampleItem, by, lines, comment: str = "", now=None) -> Score:
    """A checker scores a sampled item on every line of the center's rubric (初评)."""
    now = now or timezone.now()
    comment = text(comment, "comment", "评语", min_len=0, max_len=2000)
    with transaction.atomic():
        item = _lock(item)
        _require_checker(by, item)
        if item.state != ItemState.PENDING:
            raise IllegalTransition(f"该抽查工单{item.get_state_display()}，不能再次初评",
                                    f"item is {item.state}; scored already",
                                    field="state")  # fmt: skip
        checked = _check_lines(item.sample.center, lines)
        score = _write_score(item, ScoreKind.FIRST, by, checked, comment, now)
        item.score, item.state = score.total, ItemState.SCORED
        if item.checker_id is None:
            item.checker = by
        item.save(update_fields=["score", "state", "checker"])
    return score


def appeal(*, item: SampleItem, by, reason: str, now=None) -> Appeal:
    """The agent appeals the item's score once, with a reason (申诉)."""
    now = now or timezone.now()
    with transaction.atomic():
        item = _lock(item)
        if by.pk != item.agent_id:
            raise Forbidden("只有被抽查的话务员本人可以申诉", "only the agent may appeal")
        if Appeal.objects.filter(item=item).exists():
            raise IllegalTransition("每件抽查结果只能申诉一次", "an item is appealed once only",
                                    field="item")  # fmt: skip
        if item.state != ItemState.SCORED:
            raise IllegalTransition("该工单尚未评分，不能申诉", "the item is not scored yet",
                                    field="state")  # fmt: skip
        reason = text(reason, "reason", "申诉理由", min_len=4, max_len=1000)
        made = Appeal.objects.create(item=item, reason=reason, created_at=now)
        item.state = ItemState.APPEALED
        item.save(update_fields=["state"])
    return made


def decide(*, appeal: Appeal, by, lines, comment: str = "", now=None) -> Appeal:
    """A second checker scores the appealed item afresh; that score is final (复核)."""
    now = now or timezone.now()
    comment = text(comment, "comment", "复核意见", min_len=0, max_len=2000)
    with transaction.atomic():
        item = _lock(appeal.item)
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        _require_checker(by, item)
        first = item.scores.get(kind=ScoreKind.FIRST)
        if by.pk == first.checker_id:
            raise Forbidden("申诉须由另一名质检员复核", "a second checker decides an appeal")
        if appeal.state != AppealState.PENDING:
            raise IllegalTransition("该申诉已复核", "the appeal is decided already",
                                    field="state")  # fmt: skip
        checked = _check_lines(item.sample.center, lines)
        second = _write_score(item, ScoreKind.SECOND, by, checked, comment, now)
        appeal.state = AppealState.KEPT if second.total == first.total else AppealState.CHANGED
        appeal.decided_by, appeal.decided_at = by, now
        appeal.save(update_fields=["state", "decided_by", "decided_at"])
        item.score, item.state = second.total, ItemState.DECIDED
        item.save(update_fields=["score", "state"])
    return appeal
