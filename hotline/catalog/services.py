"""State changes of the catalog: categories, default time limits and the holiday calendar.

Default time limits (province defaults, region NULL; administrators change them in the admin)
-------------------------------------------------------------------------------------------
The national guidance, 国务院办公厅关于进一步优化地方政务服务便民热线的指导意见
(国办发〔2020〕53号), asks for 7×24 service, immediate transfer of urgent demands and
"限时办理" (handling within a fixed time) with a closed loop of acknowledge, handle, reply,
callback; it leaves the figures to the provinces. Published provincial rules for comparison:
广东省12345政务服务便民热线管理办法 (consultation 2 working days, help/suggestion 10,
complaint/report 15), 山东省政务服务热线管理办法 (5 working days, an extension of at most
10 working days, a wrong assignment returned within 2 working days), and Beijing 12345's
practice as reported (water/power/gas/heating demands answered within 24 hours, demands
endangering life or property within 2 hours). This province's defaults are tighter:

acknowledge (签收)
  特急 critical (life or property at risk): 15 natural minutes, every appeal type.
  水电气暖 utility categories, 一般 and 紧急: 30 natural minutes (utility firms keep 24-hour
      duty rooms, so natural time, not office time).
  紧急 urgent: 2 working hours (an urgent but not dangerous demand waits for office hours).
  一般 normal: 1 working day.
handle (办理, counted from the same start)
  一般 normal, working days: consult 2, help 3, suggestion 5, complaint 10, report 10,
      praise 5 (a thank-you to pass on and record), other 5.
  紧急 urgent, working days: consult 1, help 1, suggestion 3, complaint 5, report 5,
      praise 3, other 3 (about half, help as fast as consultation).
  特急 critical: 24 natural hours for every type (danger does not wait for Monday).
  水电气暖 help (no water, no power …): 24 natural hours when normal, 12 when urgent; other
      utility appeal types keep the general handling limit.
extensions: at most 3, each at most 3 working days; reopen within 15 days of closing.
"""

import csv
import datetime as dt
from pathlib import Path

from django.db import transaction

from hotline.errors import InvalidInput

from . import calendar, policies
from .models import (
    AppealType,
    CalendarDay,
    Category,
    DayKind,
    LimitUnit,
    TimeLimitPolicy,
    Urgency,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CATEGORIES_CSV = FIXTURES / "categories.csv"
HOLIDAYS_CSV = FIXTURES / "holidays.csv"

HANDLE_DAYS = {
    Urgency.NORMAL: {
        AppealType.CONSULT: 2,
        AppealType.HELP: 3,
        AppealType.SUGGESTION: 5,
        AppealType.COMPLAINT: 10,
        AppealType.REPORT: 10,
        AppealType.PRAISE: 5,
        AppealType.OTHER: 5,
    },
    Urgency.URGENT: {
        AppealType.CONSULT: 1,
        AppealType.HELP: 1,
        AppealType.SUGGESTION: 3,
        AppealType.COMPLAINT: 5,
        AppealType.REPORT: 5,
        AppealType.PRAISE: 3,
        AppealType.OTHER: 3,
    },
}
ACK = {
    Urgency.NORMAL: (1, LimitUnit.WORKING_DAYS),
    Urgency.URGENT: (2, LimitUnit.WORKING_HOURS),
    Urgency.CRITICAL: (15, LimitUnit.MINUTES),
}
CRITICAL_HANDLE = (24, LimitUnit.HOURS)
UTILITY_ACK = (30, LimitUnit.MINUTES)
UTILITY_HELP_HANDLE = {Urgency.NORMAL: (24, LimitUnit.HOURS), Urgency.URGENT: (12, LimitUnit.HOURS)}
MAX_EXTENSIONS = 3
MAX_EXTENSION_DAYS = 3


def default_policy_rows() -> list[dict]:
    """The province-default policies as field dicts: 21 general rows and 14 utility rows."""
    rows = []
    for urgency in Urgency:
        for appeal_type in AppealType:
            if urgency == Urgency.CRITICAL:
                handle = CRITICAL_HANDLE
            else:
                handle = (HANDLE_DAYS[urgency][appeal_type], LimitUnit.WORKING_DAYS)
            rows.append(_policy_row(appeal_type, urgency, False, ACK[urgency], handle))
            if urgency == Urgency.CRITICAL:
                continue  # critical already has the shortest acknowledgement
            if appeal_type == AppealType.HELP:
                handle = UTILITY_HELP_HANDLE[urgency]
            rows.append(_policy_row(appeal_type, urgency, True, UTILITY_ACK, handle))
    return rows


def _policy_row(appeal_type, urgency, utility_only, ack, handle) -> dict:
    return {
        "appeal_type": appeal_type.value,
        "urgency": urgency.value,
        "utility_only": utility_only,
        "ack_value": ack[0],
        "ack_unit": ack[1].value,
        "handle_value": handle[0],
        "handle_unit": handle[1].value,
        "max_extensions": MAX_EXTENSIONS,
        "max_extension_days": MAX_EXTENSION_DAYS,
    }


@transaction.atomic
def load_default_policies(*, overwrite: bool = False) -> dict[str, int]:
    """Create the missing province-default policies; with overwrite, reset existing ones."""
    created = updated = 0
    for row in default_policy_rows():
        key = {k: row[k] for k in ("appeal_type", "urgency", "utility_only")}
        values = {k: v for k, v in row.items() if k not in key}
        policy = TimeLimitPolicy.objects.filter(region__isnull=True, **key).first()
        if policy is None:
            TimeLimitPolicy.objects.create(region=None, **key, **values)
            created += 1
        elif overwrite and any(getattr(policy, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(policy, k, v)
            policy.save()
            updated += 1
    transaction.on_commit(policies.invalidate)
    policies.invalidate()
    return {"created": created, "updated": updated}


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


@transaction.atomic
def load_categories(*, path: Path | None = None, reset_flags: bool = False) -> dict[str, int]:
    """Upsert the category tree from the fixture; flags are kept unless reset_flags."""
    # The fixture owns names and the tree; is_utility is only set on creation (or with
    # reset_flags) so that an administrator's re-flagging survives the next deploy.
    rows = _read_csv(path or CATEGORIES_CSV)
    existing = {c.code: c for c in Category.objects.all()}
    created = updated = 0
    for level in (1, 2, 3):
        ids = {code: c.pk for code, c in existing.items()}
        new, changed = [], []
        for row in (r for r in rows if int(r["level"]) == level):
            parent_id = ids[row["parent_code"]] if row["parent_code"] else None
            values = {
                "name": row["name"],
                "level": level,
                "parent_id": parent_id,
                "full_name": row["full_name"],
            }
            utility = row["is_utility"] == "1"
            category = existing.get(row["code"])
            if category is None:
                new.append(Category(code=row["code"], is_utility=utility, **values))
                continue
            if reset_flags:
                values["is_utility"] = utility
            if any(getattr(category, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(category, k, v)
                changed.append(category)
        Category.objects.bulk_create(new)
        Category.objects.bulk_update(
            changed, ["name", "level", "parent_id", "full_name", "is_utility"]
        )
        created += len(new)
        updated += len(changed)
        # Re-read so the next level resolves parents by id on every database backend.
        existing = {c.code: c for c in Category.objects.all()}
    transaction.on_commit(policies.invalidate)
    policies.invalidate()
    return {"created": created, "updated": updated}


@transaction.atomic
def load_calendar(*, path: Path | None = None) -> dict[str, int]:
    """Upsert the holidays and make-up workdays from the fixture (statutory notices)."""
    wanted: dict[dt.date, tuple[str, str]] = {}
    for row in _read_csv(path or HOLIDAYS_CSV):
        day = dt.date.fromisoformat(row["date"])
        _check_day(day, row["kind"])
        wanted[day] = (row["kind"], row["name"])
    existing = {d.date: d for d in CalendarDay.objects.filter(date__in=list(wanted))}
    new, changed = [], []
    for day, (kind, name) in wanted.items():
        row = existing.get(day)
        if row is None:
            new.append(CalendarDay(date=day, kind=kind, name=name))
        elif (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            changed.append(row)
    CalendarDay.objects.bulk_create(new)
    CalendarDay.objects.bulk_update(changed, ["kind", "name"])
    transaction.on_commit(calendar.invalidate)
    calendar.invalidate()
    return {"created": len(new), "updated": len(changed)}


def _check_day(day: dt.date, kind: str) -> None:
    if kind not in DayKind.values:
        raise InvalidInput(
            f"日期类型须为 {'/'.join(DayKind.values)}：{kind!r}",
            f"kind must be one of {', '.join(DayKind.values)}: {kind!r}",
            field="kind",
        )
    if kind == DayKind.WORKDAY and day.weekday() < 5:
        raise InvalidInput(
            f"{day} 本来就是工作日，无需设为调休上班",
            f"{day} is a weekday already; only a weekend day can be a make-up workday",
            field="date",
        )


@transaction.atomic
def set_calendar_day(*, day: dt.date, kind: str, name: str = "") -> CalendarDay:
    """Mark one day as a holiday or a make-up workday (调休上班), replacing any earlier mark."""
    _check_day(day, kind)
    if len(name) > 32:
        raise InvalidInput("名称不能超过32个字", "name must be at most 32 characters", field="name")
    row, _ = CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})
    transaction.on_commit(calendar.invalidate)
    calendar.invalidate()
    return row


@transaction.atomic
def clear_calendar_day(*, day: dt.date) -> bool:
    """Remove a day's mark so the plain Monday–Friday rule applies again; True if one existed."""
    deleted, _ = CalendarDay.objects.filter(date=day).delete()
    transaction.on_commit(calendar.invalidate)
    calendar.invalidate()
    return bool(deleted)
