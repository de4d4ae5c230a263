"""Drawing a center's weekly sample (抽样): every agent's tickets of the week, stratified.

Per agent: every ticket that was returned, reopened or complained about, plus `per_agent`
tickets drawn at random from the rest, spread over the strata (channel × top category) in
proportion to their sizes (largest remainder). The random generator is seeded with the center
and the week, so a sample can be drawn again for an audit and comes out the same.

One query reads the week's tickets as narrow tuples; the rest is plain Python over them
(200,000 tickets of 300 agents in about a second, bench/bench_quality_sample.py).
"""

import datetime as dt
import random
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.calls.models import CallTicket, LinkKind
from hotline.catalog.calendar import LOCAL_TZ, to_local
from hotline.catalog.models import Category
from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.orgs.models import Membership, Role, Unit
from hotline.tickets.models import Channel, Satisfaction, Ticket

from .models import Checker, Plan, Reason, Sample, SampleItem

SAMPLED_ROLES = (Role.AGENT, Role.DISPATCHER)
DEFAULT_PER_AGENT = 5


def week_bounds(week: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The week's Monday 00:00 to the next Monday, local time, as aware datetimes."""
    start = dt.datetime(week.year, week.month, week.day, tzinfo=LOCAL_TZ)
    return start, start + dt.timedelta(days=7)


def last_week(now=None) -> dt.date:
    """The Monday of the last full week before `now` (local)."""
    today = to_local(now or timezone.now()).date()
    return today - dt.timedelta(days=today.weekday() + 7)


def agents_of(center: Unit) -> list[int]:
    """Ids of the users whose work is sampled: the center's agents and dispatchers."""
    return sorted(
        set(
            Membership.objects.filter(
                unit=center, role__in=SAMPLED_ROLES, is_active=True, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )


def _roots() -> dict[int, int]:
    """Category id → its top-level category id (517 rows, one query)."""
    parent = dict(Category.objects.values_list("id", "parent_id"))
    roots = {}
    for cid in parent:
        top = cid
        while parent.get(top):
            top = parent[top]
        roots[cid] = top
    return roots


def _must(returns, reopens, satisfaction) -> str | None:
    if satisfaction == Satisfaction.UNSATISFIED:
        return Reason.COMPLAINED
    if reopens:
        return Reason.REOPENED
    if returns:
        return Reason.RETURNED
    return None


def _allocate(sizes: dict, n: int) -> dict:
    """Split n over the strata in proportion to their sizes (largest remainder, ties by key)."""
    total = sum(sizes.values())
    if total <= n:
        return dict(sizes)
    exact = {k: n * s / total for k, s in sizes.items()}
    share = {k: int(v) for k, v in exact.items()}
    left = n - sum(share.values())
    for k in sorted(sizes, key=lambda k: (-(exact[k] - share[k]), str(k)))[:left]:
        share[k] += 1
    return share


def pick(rows, *, per_agent: int, seed: str, roots: dict) -> list[tuple]:
    """(ticket id, agent id, reason, stratum) for every sampled ticket; pure, no database.

    `rows`: (id, agent id, channel, category id, return_count, reopen_count, satisfaction),
    in any order: the strata are sorted before drawing, so the result depends on the seed only.
    """
    rng = random.Random(seed)
    # One pass, no per-row function call: this loop is most of a 200,000-ticket draw.
    strata: dict[tuple, list[int]] = defaultdict(list)
    must = []
    for tid, agent, channel, category, returns, reopens, satisfaction in rows:
        key = (agent, channel, roots.get(category, 0))
        if returns or reopens or satisfaction == Satisfaction.UNSATISFIED:
            must.append((tid, key, returns, reopens, satisfaction))
        else:
            strata[key].append(tid)
    out = [(tid, key[0], _must(r, o, s), _label(key[1:])) for tid, key, r, o, s in sorted(must)]
    by_agent: dict[int, dict] = defaultdict(dict)
    for key, ids in strata.items():
        by_agent[key[0]][key[1:]] = ids
    for agent in sorted(by_agent):
        groups = by_agent[agent]
        share = _allocate({k: len(v) for k, v in groups.items()}, per_agent)
        for stratum in sorted(groups, key=str):
            ids = sorted(groups[stratum])
            for tid in rng.sample(ids, share[stratum]):
                out.append((tid, agent, Reason.RANDOM, _label(stratum)))
    return out


def _label(stratum) -> str:
    return f"{stratum[0]}/{stratum[1]}"


def stratum_text(label: str) -> str:
    """A stored stratum ("phone/4": channel / top category id) as a checker reads it."""
    channel, _, category = label.partition("/")
    name = None
    if category.isdigit():
        name = Category.objects.filter(pk=category).values_list("name", flat=True).first()
    shown = Channel(channel).label if channel in Channel.values else channel
    return f"{shown} · {name or '未分类'}"


def _checkers(center: Unit) -> list[int]:
    return sorted(
        Checker.objects.filter(center=center, is_active=True, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


def _assign(picked, checkers: list[int]) -> dict[int, int]:
    """Agent → checker, round robin, never an agent to themself (when another checker exists)."""
    out, i = {}, 0
    for agent in sorted({p[1] for p in picked}):
        choice = checkers[i % len(checkers)]
        if choice == agent and len(checkers) > 1:
            i += 1
            choice = checkers[i % len(checkers)]
        out[agent] = choice
        i += 1
    return out


def draw(*, center: Unit, week: dt.date, by=None, now=None) -> Sample:
    """Draw and assign the center's sample of the week starting `week` (a Monday, ended).

    `by` is None for the weekly job; a person must be a checker of the center. Drawn once:
    a second draw of the same week is refused (409) and changes nothing."""
    now = now or timezone.now()
    if not center.is_center:
        raise InvalidInput("只能对热线中心抽样", "only a hotline center is sampled", field="center")
    if by is not None and not Checker.objects.filter(center=center, user=by,
                                                     is_active=True).exists():  # fmt: skip
        raise Forbidden("只有本中心的质检员可以抽样", "only a checker of the center may draw")
    if week.weekday() != 0:
        raise InvalidInput("抽查周须从周一开始", "week must be a Monday", field="week")
    start, end = week_bounds(week)
    if end > now:
        raise InvalidInput("该周尚未结束，不能抽样", "the week has not ended yet", field="week")
    checkers = _checkers(center)
    if not checkers:
        raise InvalidInput("本中心尚未指定质检员", "the center has no quality checker",
                           field="center")  # fmt: skip
    plan = Plan.objects.filter(center=center).first()
    per_agent = plan.per_agent if plan else DEFAULT_PER_AGENT
    agents = agents_of(center)
    rows = Ticket.objects.filter(
        registered_by_id__in=agents, created_at__gte=start, created_at__lt=end
    ).values_list(
        "id", "registered_by_id", "channel", "category_id", "return_count", "reopen_count",
        "satisfaction",
    )  # fmt: skip
    picked = pick(rows, per_agent=per_agent, seed=f"{center.code}:{week}", roots=_roots())
    calls = dict(
        CallTicket.objects.filter(
            ticket_id__in=[p[0] for p in picked], kind=LinkKind.REGISTERED
        ).values_list("ticket_id", "call_id")
    )
    assigned = _assign(picked, checkers)
    try:
        with transaction.atomic():
            sample = Sample.objects.create(center=center, week=week, per_agent=per_agent,
                                           drawn_at=now, drawn_by=by, agents=len(agents))  # fmt: skip
            SampleItem.objects.bulk_create(
                [SampleItem(sample=sample, ticket_id=tid, agent_id=agent, reason=reason,
                            stratum=stratum, call_id=calls.get(tid), checker_id=assigned[agent])
                 for tid, agent, reason, stratum in picked],
                batch_size=2000,
            )  # fmt: skip
    except IntegrityError:
        raise IllegalTransition(f"{week} 这一周已经抽样", f"the week {week} is drawn already",
                                field="week") from None  # fmt: skip
    return sample
