"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service requests (JSON and XML).

Who sees which requests: without an api_key, the requests that came in through Open311 itself
and are not confidential (what the public submitted publicly); with an api_key, the key's user
scope (rule 2), every channel.
"""

from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from hotline.catalog.models import AppealType, Category
from hotline.errors import HotlineError
from hotline.orgs import scope
from hotline.orgs.models import ApiToken
from hotline.tickets import lifecycle
from hotline.tickets.models import OPEN_STATUSES, Channel, Status, Ticket
from hotline.tickets.registration import RegisterInput

from . import mapping
from .render import error, respond

DEFAULT_DAYS = 90  # the spec's default window when no start_date is given
MAX_PAGE_SIZE = 1000  # the spec's cap on results per call
DEFAULT_PAGE_SIZE = 50


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def _user_of(key: str | None):
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), is_active=True, user__is_active=True)
        .first()
    )
    if token is None:
        raise Open311Error(403, "api_key 无效 / invalid api_key")
    return token.user


@require_GET
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/")
    doc = {
        "changeset": "2026-11-26T00:00:00+08:00",
        "contact": getattr(settings, "HOTLINE_OPEN311_CONTACT", "12345 政务服务便民热线"),
        "key_service": "向热线中心申请 api_key / ask the hotline center for an api_key",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-11-26T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", doc)


@require_GET
def services(request, fmt):
    return respond(fmt, "services", mapping.services())


@require_GET
def service_definition(request, code, fmt):
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        return error(fmt, 404, f"服务不存在 / unknown service_code {code}")
    return respond(fmt, "service_definition", mapping.definition(category))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests(request, fmt):
    try:
        if request.method == "POST":
            return _create(request, fmt)
        return respond(
            fmt, "service_requests", [mapping.service_request(t) for t in _list(request)]
        )
    except Open311Error as exc:
        return error(fmt, exc.status, exc.description)
    except HotlineError as exc:
        return error(fmt, exc.status, f"{exc.field or ''} {exc.message_zh} / {exc.message_en}")


@require_GET
def request_detail(request, request_id, fmt):
    try:
        found = _visible(request).filter(number=request_id).first()
    except Open311Error as exc:
        return error(fmt, exc.status, exc.description)
    if found is None:
        return error(fmt, 404, f"服务请求不存在 / unknown service_request_id {request_id}")
    return respond(fmt, "service_requests", [mapping.service_request(found)])


def _visible(request):
    user = _user_of(request.GET.get("api_key"))
    if user is not None:
        tickets = scope.visible_tickets(user)
    else:
        tickets = Ticket.objects.filter(channel=Channel.OPEN311, confidential=False)
    return tickets.select_related("category", "lead_unit", "center")


def _when(request, name):
    raw = request.GET.get(name)
    if not raw:
        return None
    value = parse_datetime(raw.replace(" ", "+"))  # a "+" in a query string arrives as " "
    if value is None:
        raise Open311Error(400, f"{name} 须为 ISO 8601 时间 / {name} must be ISO 8601")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _int(request, name, default, low, high):
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Open311Error(400, f"{name} 须为 {low}–{high} 的整数 / {name} must be {low}-{high}")
    return int(raw)


def _list(request):
    tickets = _visible(request)
    ids = request.GET.get("service_request_id")
    if ids:
        # The spec: with ids given, every other filter is ignored.
        return list(tickets.filter(number__in=ids.split(",")).order_by("-id")[:MAX_PAGE_SIZE])
    if codes := request.GET.get("service_code"):
        tickets = tickets.filter(category__code__in=codes.split(","))
    if status := request.GET.get("status"):
        wanted = set(status.split(","))
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, "status 只能是 open 或 closed / status must be open or closed")
        if wanted == {"open"}:
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        elif wanted == {"closed"}:
            tickets = tickets.exclude(status__in=OPEN_STATUSES)
    start, end = _when(request, "start_date"), _when(request, "end_date")
    if start is None:
        start = (end or timezone.now()) - timedelta(days=DEFAULT_DAYS)
    tickets = tickets.filter(created_at__gte=start)
    if end is not None:
        tickets = tickets.filter(created_at__lte=end)
    if (updated := _when(request, "updated_after")) is not None:
        tickets = tickets.filter(updated_at__gt=updated)
    page = _int(request, "page", 1, 1, 10**6)
    size = _int(request, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    return list(tickets.order_by("-created_at", "-id")[(page - 1) * size : page * size])


def _create(request, fmt) -> HttpResponse:
    user = _user_of(request.POST.get("api_key"))
    if user is None:
        raise Open311Error(403, "提交服务请求须提供 api_key / api_key is required")
    code = request.POST.get("service_code", "")
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise Open311Error(400, f"service_code 无效 / unknown service_code {code}")
    description = (request.POST.get("description") or "").strip()
    lat, lon = request.POST.get("lat"), request.POST.get("long")
    address = (request.POST.get("address_string") or "").strip()
    if not address and not (lat and lon):
        raise Open311Error(400, "须提供位置（lat/long 或 address_string）/ a location is required")
    if not description:
        raise Open311Error(400, "description 不能为空 / description is required")
    appeal = request.POST.get(f"attribute[{mapping.APPEAL_ATTRIBUTE}]") or AppealType.HELP
    name = (request.POST.get("last_name", "") + request.POST.get("first_name", "")).strip()
    try:
        latitude = float(lat) if lat else None
        longitude = float(lon) if lon else None
    except ValueError:
        raise Open311Error(400, "lat/long 须为数字 / lat and long must be numbers") from None
    ticket, _ = lifecycle.register(
        by=user,
        data=RegisterInput(
            channel=Channel.OPEN311,
            appeal_type=appeal,
            title=f"{category.name}：{description[:60]}",
            content=description,
            citizen_name=name[:64],
            citizen_phone=(request.POST.get("phone") or "").strip(),
            category=category,
            address=address[:200],
            latitude=latitude,
            longitude=longitude,
        ),
    )
    notice = f"已受理，状态：{Status(ticket.status).label} / registered"
    doc = [{"service_request_id": ticket.number, "service_notice": notice, "account_id": None}]
    return respond(fmt, "service_requests", doc, status=201)
