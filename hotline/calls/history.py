"""What the agent sees when a call comes in: where the number is from and the caller's history.

The region of a number comes from libphonenumber's geocoding data (the `phonenumbers`
package: China's mobile prefixes and fixed-line area codes → "福建省福州市"), matched to our
own regions by name so that it carries a GB/T 2260 code when it lies in the province.
The tickets are only those the agent may see (rule 2: scope.visible_tickets).
"""

import datetime as dt

import phonenumbers
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from phonenumbers import geocoder

from hotline.crypto import phone_q
from hotline.orgs import scope
from hotline.orgs.models import Region
from hotline.tickets.models import Status

from .models import Call

OPEN_EXCLUDED = {Status.CLOSED, Status.MERGED, Status.INVALID}
REPEAT_WINDOW_DAYS = 30
HISTORY_LIMIT = 20


def _region_names() -> dict[str, tuple[str, str]]:
    # City and province names (福州市, 福建省) → (code, name): a dozen rows in one province.
    rows = Region.objects.filter(level__in=("province", "city")).values_list("name", "code")
    return {name: (code, name) for name, code in rows}


def number_region(number: str) -> dict:
    """{"code", "name"} of where `number` is registered; code None outside our regions."""
    digits = "".join(ch for ch in number or "" if ch.isdigit() or ch == "+")
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return {"code": None, "name": ""}
    text = geocoder.description_for_number(parsed, "zh") or ""
    names = _region_names()
    # "福建省福州市": the longest known name it ends with (the city before the province).
    best = None
    for name, found in names.items():
        if name and text.endswith(name) and (best is None or len(name) > len(best[1])):
            best = found
    if best is None:
        for name, found in names.items():
            if name and text.startswith(name):
                best = found
                break
    return {"code": best[0] if best else None, "name": text}


def caller_history(user, number: str, *, exclude_call: Call | None = None) -> dict:
    """The screen pop's history of `number` as `user` may see it: open tickets first."""
    number = (number or "").strip()
    visible = scope.visible_tickets(user).filter(phone_q(number)) if number else None
    tickets = []
    risky = confidential = False
    if visible is not None:
        rows = (
            visible.annotate(
                is_open=Case(
                    When(status__in=OPEN_EXCLUDED, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
            .order_by("is_open", "-created_at")
            .values(
                "id",
                "number",
                "title",
                "status",
                "created_at",
                "risk_level",
                "confidential",
                "is_open",
            )[:HISTORY_LIMIT]
        )
        for row in rows:
            risky = risky or bool(row["risk_level"])
            confidential = confidential or row["confidential"]
            tickets.append(
                {
                    "id": row["id"],
                    "number": row["number"],
                    "title": row["title"],
                    "status": row["status"],
                    "status_label": Status(row["status"]).label,
                    "created_at": row["created_at"].isoformat(),
                    "open": row["is_open"] == 0,
                    "risk_level": row["risk_level"],
                    "confidential": row["confidential"],
                }
            )
    # Calls from the number in the window before this call (or before now, without one).
    until = exclude_call.offered_at if exclude_call is not None else timezone.now()
    since = until - dt.timedelta(days=REPEAT_WINDOW_DAYS)
    earlier = (
        Call.objects.filter(phone_q(number, "caller"), offered_at__gte=since, offered_at__lte=until)
        if number
        else None
    )
    if earlier is not None and exclude_call is not None:
        earlier = earlier.exclude(pk=exclude_call.pk)
    repeat_calls = earlier.count() if earlier is not None else 0
    return {
        "number": number,
        "region": number_region(number),
        "tickets": tickets,
        "ticket_count": len(tickets),
        "repeat_calls": repeat_calls,
        # A repeat caller: called before within the window, or has tickets on record.
        "repeat_caller": repeat_calls > 0 or bool(tickets),
        "risk": risky,
        "confidential": confidential,
    }
