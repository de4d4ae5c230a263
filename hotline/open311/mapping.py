"""How the product's categories and tickets read as Open311 services and service requests."""

from django.utils import timezone

from hotline.catalog.models import AppealType, Category
from hotline.tickets.models import OPEN_STATUSES, Status, Ticket

# Every service takes the same one extra attribute: the kind of demand (诉求类型).
APPEAL_ATTRIBUTE = "appeal_type"
REPLY_SHOWN = {Status.REVIEWED, Status.CLOSED}  # a reply is public only once it is reviewed


def _iso(moment):
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def service(c: Category, groups: dict[int, str]) -> dict:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.full_name,
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": groups.get(c.pk, c.name),
    }


def services() -> list[dict]:
    """Every active category of the tree, each under its top-level category as group."""
    cats = list(Category.objects.filter(is_active=True).order_by("code"))
    by_id = {c.pk: c for c in cats}
    groups = {}
    for c in cats:
        top = c
        while top.parent_id and top.parent_id in by_id:
            top = by_id[top.parent_id]
        groups[c.pk] = top.name
    return [service(c, groups) for c in cats]


def definition(c: Category) -> dict:
    return {
        "service_code": c.code,
        "attributes": [
            {
                "variable": True,
                "code": APPEAL_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "诉求类型 kind of demand (默认 default: help)",
                "order": 1,
                "description": "诉求类型",
                "values": [{"key": k, "name": str(label)} for k, label in AppealType.choices],
            }
        ],
    }


def status_of(t: Ticket) -> str:
    return "open" if t.status in OPEN_STATUSES else "closed"


def status_notes(t: Ticket) -> str:
    """The product's finer status, and the reply once it has passed review."""
    note = f"{Status(t.status).label} ({t.status})"
    if t.status in REPLY_SHOWN and t.reply:
        note += f"：{t.reply}"
    return note


def service_request(t: Ticket) -> dict:
    return {
        "service_request_id": t.number,
        "status": status_of(t),
        "status_notes": status_notes(t),
        "service_name": t.category.name if t.category else None,
        "service_code": t.category.code if t.category else "",
        "description": t.content,
        "agency_responsible": t.lead_unit.name if t.lead_unit else t.center.name,
        "service_notice": None,
        "requested_datetime": _iso(t.created_at),
        "updated_datetime": _iso(t.closed_at or t.updated_at),
        "expected_datetime": _iso(t.handle_deadline),
        "address": t.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": float(t.latitude) if t.latitude is not None else None,
        "long": float(t.longitude) if t.longitude is not None else None,
        "media_url": None,
    }
