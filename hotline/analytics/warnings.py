"""The early-warning detectors (预警): spikes, emerging topics, geographic concentration.

`detect` runs all three over recent tickets and stores each finding once (a re-run updates
it: the fingerprint is unique). Statistics are in `stats.py`; the series in `series.py`.
Who sees a warning: whoever sees at least one of its tickets (`recent_warnings`), so a unit
sees the warnings its own tickets are part of and a center those of its region.
"""

import datetime as dt
from collections import Counter

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from hotline.catalog.calendar import is_workday, to_local
from hotline.catalog.models import Category
from hotline.orgs import scope
from hotline.orgs.models import Region
from hotline.tickets.models import Ticket

from . import series, stats
from .models import EarlyWarning, WarningKind
from .topics import group_topics, name_topics, sampled_demands

ALL = -1  # a cell summed over every category or every region
CHECK_DAYS = 2  # yesterday (now complete) and today so far
RECENT_DAYS = 7  # concentration: this week against the WEEKS before
EMERGING_DAYS = 14  # emerging topics: the last two weeks …
EMERGING_RECENT = 3  # … of which the last three days are "recent"
MAX_TICKETS = 500  # kept per warning; the evidence keeps the full count
MIN_BASELINE = 4  # same-weekday days of the same kind below this: the nearest days instead


def _save(*, kind, fingerprint, title, test, day, evidence, ticket_ids, region, category, now):
    """Create or update one warning; True when it is new."""
    fields = {
        "kind": kind, "title": title[:200], "level": stats.level(test), "day": day,
        "score": test.score, "region_id": None if region in (None, ALL) else region,
        "category_id": None if category in (None, ALL) else category,
        "evidence": {**evidence, "count": test.count, "expected": round(test.expected, 2),
                     "ratio": round(test.ratio, 2) if test.expected else None,
                     "p_value": test.p_value, "score": test.score, "method": test.method},
        "updated_at": now,
    }  # fmt: skip
    with transaction.atomic():
        warning, created = EarlyWarning.objects.get_or_create(
            fingerprint=fingerprint, defaults={**fields, "created_at": now}
        )
        if not created:
            for name, value in fields.items():
                setattr(warning, name, value)
            warning.save()
        warning.tickets.set(sorted(ticket_ids)[-MAX_TICKETS:])
    return created


def _names():
    regions = dict(Region.objects.values_list("id", "name"))
    categories = dict(Category.objects.values_list("id", "name"))
    regions[ALL], categories[ALL] = "全部区域", "全部分类"
    regions[None], categories[None] = "未知区域", "未分类"
    return regions, categories


def _rolled_up(cells: series.Cells) -> series.Cells:
    """Add the sums over regions (category, ALL) and over categories (ALL, region)."""
    out = series.Cells()
    for (cat, region, day), ids in cells.ids.items():
        for key in ((cat, region, day), (cat, ALL, day), (ALL, region, day)):
            out.ids[key].extend(ids)
    return out


def baseline_days(day: dt.date) -> tuple[list[dt.date], str]:
    """The days `day` is compared with, and how they were chosen.

    The same weekday of the previous WEEKS weeks, keeping only days of the same kind by the
    holiday calendar (working day or day off): a holiday Thursday in the baseline would make
    an ordinary Thursday look like a surge. A day of a kind its weekday rarely is (a 调休
    working Saturday, a holiday on a Tuesday) has fewer than MIN_BASELINE such days and is
    compared with the nearest WEEKS earlier days of its kind instead."""
    kind = is_workday(day)
    same = [day - dt.timedelta(weeks=k) for k in range(stats.WEEKS, 0, -1)]
    kept = [d for d in same if is_workday(d) == kind]
    if len(kept) >= MIN_BASELINE:
        return kept, f"前 {stats.WEEKS} 周同一星期几（同为{'工作日' if kind else '休息日'}）"
    near = [day - dt.timedelta(days=k) for k in range(1, stats.WEEKS * 7 + 1)]
    near = [d for d in near if is_workday(d) == kind][: stats.WEEKS]
    return sorted(near), f"此前最近 {len(near)} 个{'工作日' if kind else '休息日'}（调休或节假日）"


def detect_spikes(cells: series.Cells, days: list[dt.date], now) -> int:
    regions, categories = _names()
    found = []
    bases: dict = {}
    for cat, region in cells.pairs():
        for day in days:
            count = cells.count(cat, region, day)
            if count < stats.MIN_COUNT:
                continue
            if day not in bases:
                bases[day] = baseline_days(day)
            weeks = [cells.count(cat, region, d) for d in bases[day][0]]
            found.append((cat, region, day, weeks, stats.spike(count, weeks)))
    new, seen = 0, set()
    flags = stats.flagged([f[-1] for f in found])
    # Finer cells first: a sum over regions holding the very same tickets says nothing more.
    ranked = sorted(zip(found, flags, strict=True), key=lambda x: (ALL in x[0][:2], str(x[0][:3])))
    for (cat, region, day, weeks, test), flag in ranked:
        members = frozenset(cells.ids[(cat, region, day)])
        if not flag or (members, day) in seen:
            continue
        seen.add((members, day))
        where = f"{regions.get(region, '')}·{categories.get(cat, '')}"
        new += _save(
            kind=WarningKind.SPIKE, fingerprint=f"spike:{cat}:{region}:{day}",
            title=f"{where} 诉求突增：{day:%m-%d} {test.count} 件，同期均值 {test.expected:.1f} 件",
            test=test, day=day, region=region, category=cat, now=now,
            evidence={"day": day.isoformat(), "weekday": day.isoweekday(),
                      "baseline_weeks": weeks, "baseline": bases[day][1],
                      "baseline_days": [d.isoformat() for d in bases[day][0]]},
            ticket_ids=cells.ids[(cat, region, day)],
        )  # fmt: skip
    return new


def detect_concentration(cells: series.Cells, today: dt.date, now) -> int:
    """A category's demands of this week piling up in one region against its usual share."""
    regions, categories = _names()
    recent_from = today - dt.timedelta(days=RECENT_DAYS - 1)
    base_from = recent_from - dt.timedelta(weeks=stats.WEEKS)
    recent, usual = Counter(), Counter()
    ids: dict[tuple, list[int]] = {}
    for (cat, region, day), members in cells.ids.items():
        if cat == ALL or region == ALL or cat is None:
            continue
        if recent_from <= day <= today:
            recent[(cat, region)] += len(members)
            ids.setdefault((cat, region), []).extend(members)
        elif base_from <= day < recent_from:
            usual[(cat, region)] += len(members)
    totals, usual_totals, cell_count = Counter(), Counter(), Counter()
    for (cat, _), n in recent.items():
        totals[cat] += n
    for (cat, _), n in usual.items():
        usual_totals[cat] += n
    for cat, _ in set(recent) | set(usual):
        cell_count[cat] += 1
    found = [
        (cat, region, stats.concentration(n, totals[cat], usual[(cat, region)],
                                          usual_totals[cat], cell_count[cat]))
        for (cat, region), n in recent.items() if region is not None
    ]  # fmt: skip
    new = 0
    for (cat, region, test), flag in zip(found, stats.flagged([f[-1] for f in found]), strict=True):
        if not flag:
            continue
        share = test.count / totals[cat]
        usual_share = usual[(cat, region)] / usual_totals[cat] if usual_totals[cat] else 0.0
        new += _save(
            kind=WarningKind.CONCENTRATION, fingerprint=f"concentration:{cat}:{region}:{today}",
            title=f"{categories.get(cat, '')}诉求集中于{regions.get(region, '')}：近 {RECENT_DAYS} 天"
                  f"占 {share:.0%}（通常 {usual_share:.0%}）",
            test=test, day=today, region=region, category=cat, now=now,
            evidence={"window": f"{recent_from}~{today}", "region_count": test.count,
                      "category_total": totals[cat], "share": round(share, 4),
                      "usual_count": usual[(cat, region)], "usual_total": usual_totals[cat],
                      "usual_share": round(usual_share, 4)},
            ticket_ids=ids[(cat, region)],
        )  # fmt: skip
    return new


def detect_emerging(now) -> int:
    """A topic of the last two weeks whose last three days outpace the eleven before."""
    start = now - dt.timedelta(days=EMERGING_DAYS)
    # Over SAMPLE_MAX demands, a sample: the test below compares its own counts (a sample
    # thins both windows alike), and the evidence's size and citizens are scaled to the whole.
    demands, scale = sampled_demands(Ticket.objects.all(), start, now)
    topics, vectors = group_topics(demands, now=now)
    split = now - dt.timedelta(days=EMERGING_RECENT)
    ats = {d.key: d.at for d in demands}
    found = []
    for t in topics:
        recent = sum(1 for k in t.keys if ats[k] >= split)
        if recent >= stats.MIN_COUNT:
            prior = t.size - recent
            found.append((t, prior, stats.growth(recent, prior, EMERGING_RECENT,
                                                 EMERGING_DAYS - EMERGING_RECENT)))  # fmt: skip
    chosen = [
        f for f, flag in zip(found, stats.flagged([f[-1] for f in found]), strict=True) if flag
    ]
    name_topics([t for t, _, _ in chosen], demands, vectors)
    counties, level1 = series.county_of(), series.level1_of()
    today, new = to_local(now).date(), 0
    for topic, prior, test in chosen:
        rows = Ticket.objects.filter(pk__in=topic.keys).values_list("region_id", "category_id")
        region = _mode(counties.get(r) for r, _ in rows)
        category = _mode(level1.get(c) for _, c in rows)
        new += _save(
            kind=WarningKind.EMERGING, fingerprint=f"emerging:{today}:{min(topic.keys)}",
            title=f"新发热点：{topic.title}", test=test, day=today, region=region,
            category=category, now=now, ticket_ids=topic.keys,
            evidence={"recent_days": EMERGING_RECENT, "prior_days": EMERGING_DAYS - EMERGING_RECENT,
                      "recent_count": test.count, "prior_count": prior,
                      "size": round(topic.size * scale), "citizens": round(topic.citizens * scale),
                      "sample_scale": round(scale, 3), "place": topic.place, "phrases": topic.phrases},
        )  # fmt: skip
    return new


def _mode(values):
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else None


def detect(now=None) -> int:
    """Run every detector over recent tickets; returns the number of new warnings.

    Idempotent: a re-run over the same data finds the same fingerprints and updates them.
    """
    now = now or timezone.now()
    today = to_local(now).date()
    days = [today - dt.timedelta(days=k) for k in range(CHECK_DAYS - 1, -1, -1)]
    first = min(days[0] - dt.timedelta(weeks=stats.WEEKS),
                today - dt.timedelta(days=RECENT_DAYS - 1, weeks=stats.WEEKS))  # fmt: skip
    cells = series.cells(first, today)
    new = detect_spikes(_rolled_up(cells), days, now)
    new += detect_concentration(cells, today, now)
    new += detect_emerging(now)
    return new


def recent_warnings(user, since):
    """Warnings of days from `since` (a date or datetime) on, that share a ticket with the
    user's scope."""
    if isinstance(since, dt.datetime):
        since = to_local(since).date() if timezone.is_aware(since) else since.date()
    through = EarlyWarning.tickets.through
    visible = scope.visible_tickets(user).values("id")
    return (
        EarlyWarning.objects.filter(day__gte=since)
        .filter(
            Exists(through.objects.filter(earlywarning_id=OuterRef("pk"), ticket_id__in=visible))
        )
        .select_related("region", "category")
    )
