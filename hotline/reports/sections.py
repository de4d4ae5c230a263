"""The report's narrative sections: hot topics and early warnings (from hotline/analytics)
and typical cases (a few tickets picked by rule, each one indexed query)."""

from django.db.models import Q

from hotline.catalog.calendar import to_local
from hotline.tickets.models import Satisfaction, Status

from .figures import Case, EarlyWarningRow, Topic
from .queries import in_period

CASE_CHARS = 160


def hot_topics(qs, start, end, *, limit: int = 8) -> list[Topic]:
    from hotline.analytics.topics import hot_topics as find  # analytics reads the tickets app

    return [
        Topic(title=t.title, place=t.place or "", size=t.size, citizens=t.citizens,
              heat=t.heat, phrases=list(t.phrases or [])[:5], estimated=t.scale > 1)
        for t in find(qs, start, end, limit=limit)
    ]  # fmt: skip


def early_warnings(region, start, end, *, limit: int = 10) -> list[EarlyWarningRow]:
    """The analytics' early warnings of the period's days on the region and the regions
    below (the province's report: all of them), the most significant first."""
    from hotline.analytics.models import EarlyWarning  # analytics reads the tickets app

    rows = EarlyWarning.objects.filter(
        day__gte=to_local(start).date(), day__lt=to_local(end).date()
    )
    if region.parent_id is not None:
        rows = rows.filter(region__path__startswith=region.path)
    return [
        EarlyWarningRow(title=w.title, level=w.get_level_display(), kind=w.get_kind_display(),
                        day=w.day)
        for w in rows.order_by("-score", "-day", "-id")[:limit]
    ]  # fmt: skip


# (why it is typical, condition, order): the first ticket of the period matching each rule.
CASE_RULES = [
    ("督办后办结", Q(is_supervised=True, status=Status.CLOSED), "-closed_at"),
    ("群众表扬", Q(appeal_type="praise"), "-created_at"),
    ("多次重办", Q(reopen_count__gt=0), "-reopen_count"),
    ("红色风险诉求", Q(risk_level="red"), "-created_at"),
    (
        "回访不满意",
        Q(satisfaction=Satisfaction.UNSATISFIED) | Q(status=Status.IN_PROGRESS, reopen_count__gt=0),
        "-updated_at",
    ),
]


def place_of(region: str, address: str) -> str:
    """The district before the address, unless the address names it already (an agent often
    types "鼓楼区八一七路8号": "鼓楼区鼓楼区…" reads as a typo in a report to leaders)."""
    return address if region and region in address else region + address


def typical_cases(qs, start, end, *, limit: int = 3) -> list[Case]:
    cases, seen = [], set()
    base = in_period(qs, start, end).select_related("region", "category", "lead_unit")
    for why, condition, order in CASE_RULES:
        t = base.filter(condition).exclude(pk__in=seen).order_by(order, "-id").first()
        if t is None:
            continue
        seen.add(t.pk)
        outcome = t.get_status_display()
        if t.satisfaction:
            outcome += f"，回访{t.get_satisfaction_display()}"
        if t.lead_unit_id:
            outcome = f"主办单位{t.lead_unit.name}；{outcome}"
        cases.append(
            Case(
                why=why,
                number=t.number,
                title=t.title,
                place=place_of(t.region.name if t.region_id else "", t.address or ""),
                category=t.category.full_name if t.category_id else "未分类",
                content=_clip(t.content),
                reply=_clip(t.reply),
                outcome=f"{to_local(t.created_at):%m月%d日}受理；{outcome}",
            )
        )
        if len(cases) == limit:
            break
    return cases


def _clip(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= CASE_CHARS else text[:CASE_CHARS] + "…"
