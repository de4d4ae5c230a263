"""Public pages: submit a demand (with a phone code) and follow it by number and phone.

No login. CSRF protects every form; the phone's code, rate limits and the content filter
protect the rest (services.py). Pages answer 429 when a limit is hit.
"""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from hotline.catalog.models import AppealType, Category
from hotline.errors import HotlineError
from hotline.orgs.models import Region

from . import services, verification
from .ratelimit import RateLimited

# The appeal types a citizen picks from, in the order people think of them.
CITIZEN_APPEALS = [
    AppealType.HELP,
    AppealType.COMPLAINT,
    AppealType.CONSULT,
    AppealType.SUGGESTION,
    AppealType.REPORT,
    AppealType.PRAISE,
]


def client_ip(request) -> str:
    """The caller's address; behind a proxy, the header it sets (HOTLINE_PORTAL_IP_HEADER)."""
    header = getattr(settings, "HOTLINE_PORTAL_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return value.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")


def _limited(request, exc: RateLimited):
    return render(request, "portal/limited.html", {"message": exc.message_zh}, status=429)


def _region_levels(values):
    """The region cascade from the province's cities down to towns."""
    levels = []
    parent = Region.objects.filter(parent__isnull=True).order_by("code").first()
    for i in (1, 2, 3):
        options = list(Region.objects.filter(parent=parent).order_by("code")) if parent else []
        if not options:
            break
        chosen = values.get(f"region_{i}", "")
        levels.append({"name": f"region_{i}", "options": options, "chosen": chosen})
        parent = next((r for r in options if r.code == chosen), None)
    return levels


def _form(request, values=None, status=200, **extra):
    values = values or {}
    ctx = {
        "values": values,
        "appeals": [(a.value, a.label) for a in CITIZEN_APPEALS],
        "categories": Category.objects.filter(is_active=True, level=1).order_by("code"),
        "region_levels": _region_levels(values),
        **extra,
    }
    return render(request, "portal/submit.html", ctx, status=status)


def home(request):
    return render(request, "portal/home.html")


def regions(request):
    return render(
        request, "portal/region_levels.html", {"region_levels": _region_levels(request.GET)}
    )


def _chosen_region(post) -> str:
    for i in (3, 2, 1):
        if post.get(f"region_{i}"):
            return post[f"region_{i}"]
    return ""


@require_http_methods(["GET", "POST"])
def submit(request):
    if request.method == "GET":
        return _form(request, {"appeal_type": AppealType.HELP})
    p = request.POST
    values = p.dict()
    values.pop("code", None)  # never echoed back into the page
    try:
        if p.get("action") == "code":
            verification.send_code(phone=p.get("phone", ""), ip=client_ip(request))
            return _form(request, values, sent=True)
        ticket = services.submit(
            services.Demand(
                phone=p.get("phone", ""),
                code=p.get("code", ""),
                title=p.get("title", ""),
                content=p.get("content", ""),
                name=p.get("name", ""),
                appeal_type=p.get("appeal_type", ""),
                category=p.get("category", ""),
                region=_chosen_region(p),
                address=p.get("address", ""),
                confidential=p.get("confidential") in ("on", "1", "true"),
                photos=[f for f in request.FILES.getlist("photos") if f.size or f.name],
            ),
            ip=client_ip(request),
        )
    except RateLimited as exc:
        return _limited(request, exc)
    except HotlineError as exc:
        return _form(request, values, status=400, error=exc.message_zh, error_field=exc.field)
    return render(
        request, "portal/done.html", {"number": ticket.number, "phone": ticket.citizen_phone}
    )


@require_http_methods(["GET", "POST"])
def follow(request):
    # POST, not GET: the phone number stays out of addresses, histories and access logs.
    if request.method == "GET":
        return render(request, "portal/follow.html", {"values": {}})
    number, phone = request.POST.get("number", ""), request.POST.get("phone", "")
    try:
        ticket = services.follow(number=number, phone=phone, ip=client_ip(request))
    except RateLimited as exc:
        return _limited(request, exc)
    if ticket is None:
        return render(
            request,
            "portal/follow.html",
            {"values": {"number": number}, "not_found": True},
            status=404,
        )
    return render(request, "portal/status.html", {"t": services.public_view(ticket)})
