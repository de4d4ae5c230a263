"""Agent intake (话务员受理): the caller's history, the demand form, the knowledge base.

The knowledge base (`hotline.knowledge`) is used when that app is installed; the form works
without it. Saving goes through `lifecycle.register` or `lifecycle.resolve_at_intake` only.
"""

from django.apps import apps
from django.db import transaction
from django.shortcuts import render
from django.utils.html import format_html

from hotline.calls import services as calls
from hotline.catalog.models import AppealType, Category, Urgency
from hotline.crypto import phone_q
from hotline.errors import HotlineError, InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import Region, Role
from hotline.tickets import lifecycle
from hotline.tickets.models import Channel
from hotline.tickets.registration import PHONE_RE, RegisterInput
from hotline.topics import services as topics
from hotline.topics.models import MarkKind

from . import pickers
from .common import flag, is_htmx, role_required

HISTORY_LIMIT = 20
CATEGORY_LIMIT = 30
REGION_LIMIT = 20


def knowledge():
    """The knowledge service when its app is installed, else None."""
    if not apps.is_installed("hotline.knowledge"):
        return None
    from hotline.knowledge import services

    return services


def _center(request):
    return request.role_memberships[0].unit if request.role_memberships else None


def _region_levels(center, values):
    """The cascade: children of the center's region, then of each chosen level."""
    levels = []
    parent = center.region if center else None
    for i in (1, 2, 3):
        if parent is None:
            break
        options = list(Region.objects.filter(parent=parent).order_by("code"))
        if not options:
            break
        chosen = values.get(f"region_{i}", "")
        levels.append({"name": f"region_{i}", "options": options, "chosen": chosen})
        parent = next((r for r in options if r.code == chosen), None)
    return levels


def form_context(request, values=None, **extra):
    """The intake form's context (also for the agent's desk, which shows the same form)."""
    values = values or {}
    return {
        "values": values,
        "appeal_types": AppealType.choices,
        "urgencies": Urgency.choices,
        "region_levels": _region_levels(_center(request), values),
        "kb": knowledge() is not None,
        "mark_kinds": MarkKind.choices,
        **extra,
    }


@role_required(Role.AGENT)
def intake(request):
    if request.method == "POST":
        return _save(request)
    return render(request, "web/intake.html", form_context(request))


def _category(value: str):
    value = (value or "").strip()
    if not value:
        return None
    found = Category.objects.filter(is_active=True, full_name=value).first()
    found = found or Category.objects.filter(is_active=True, code=value).first()
    if found is None:
        raise InvalidInput("诉求分类不存在，请从列表中选择", "unknown category", field="category")
    return found


def _input(request) -> RegisterInput:
    p = request.POST
    region = ""
    for i in (3, 2, 1):
        if p.get(f"region_{i}"):
            region = p[f"region_{i}"]
            break
    content = p.get("content", "").strip()
    if not content:
        # Checked here first: the title below is derived from it.
        raise InvalidInput("诉求内容不能为空", "content is required", field="content")
    # Agents type the demand, not a headline: the title defaults to its first words.
    title = p.get("title", "").strip() or content[:30]
    return RegisterInput(
        channel=Channel.PHONE,
        appeal_type=p.get("appeal_type", ""),
        title=title,
        content=content,
        urgency=p.get("urgency", Urgency.NORMAL),
        citizen_name=p.get("citizen_name", ""),
        citizen_phone=p.get("citizen_phone", ""),
        anonymous=flag(p.get("anonymous")),
        confidential=flag(p.get("confidential")),
        category=_category(p.get("category_name", "")),
        region=region or None,
        address=p.get("address", ""),
        center_code=_center(request).code if _center(request) else None,
    )


def _call_id(request) -> int | None:
    """The call this demand came in on (the agent's desk ties the form to it)."""
    value = request.POST.get("call", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput("来电编号不正确", "bad call id", field="call")
    return int(value)


def _save(request):
    action = request.POST.get("action", "register")
    values = request.POST.dict()
    try:
        call_id = _call_id(request)
        data = _input(request)
        # The ticket and its tie to the call together: a call out of scope saves nothing.
        with transaction.atomic():
            if action == "resolve":
                ticket = _resolve(request, data)
                done = format_html("已直接办结，工单编号 {}", ticket.number)
            else:
                ticket, _ = lifecycle.register(by=request.user, data=data)
                done = format_html("已受理，工单编号 {}，待派单", ticket.number)
            # Citizen marks the agent ticked, and the topics the demand falls in, at once.
            if request.POST.getlist("marks"):
                topics.set_marks(
                    ticket=ticket, by=request.user, kinds=request.POST.getlist("marks")
                )
            topics.tag_ticket(ticket)
            if call_id is not None:
                calls.link_ticket(user=request.user, call_id=call_id, ticket_id=ticket.pk)
                done = format_html("{}，已关联本次来电", done)
    except HotlineError as exc:
        ctx = form_context(request, values, error=exc.message_zh, error_field=exc.field)
        template = "web/partials/intake_form.html" if is_htmx(request) else "web/intake.html"
        return render(request, template, ctx, status=200 if is_htmx(request) else 400)
    # Still on the same call: a second demand of the caller is tied to it as well.
    kept = {"call": call_id, "citizen_phone": data.citizen_phone} if call_id else {}
    ctx = form_context(request, kept, saved=ticket, done=done)
    template = "web/partials/intake_form.html" if is_htmx(request) else "web/intake.html"
    return render(request, template, ctx)


def _resolve(request, data):
    reply = request.POST.get("reply", "")
    ref = request.POST.get("article", "").strip()
    kb = knowledge()
    article = None
    if ref and kb is not None:
        pk = kb.parse_ref(ref)
        article = kb.get_article(user=request.user, pk=pk) if pk else None
        if article is None:
            raise InvalidInput("引用的知识不存在", "unknown article", field="article")
        ref = kb.article_ref(article)
    with transaction.atomic():
        ticket = lifecycle.resolve_at_intake(by=request.user, data=data, reply=reply, article=ref)
        if article is not None:
            kb.record_use(article=article, by=request.user, ticket=ticket)
    return ticket


@role_required(Role.AGENT)
def history(request):
    """The caller's earlier tickets within my scope: repeat callers show at once."""
    phone = request.GET.get("citizen_phone", "").strip()
    rows = []
    if phone and PHONE_RE.match(phone):
        rows = list(
            scope.visible_tickets(request.user)
            .filter(phone_q(phone))
            .select_related("lead_unit")
            .order_by("-created_at")[:HISTORY_LIMIT]
        )
    return render(request, "web/partials/intake_history.html", {"rows": rows, "phone": phone})


@role_required(Role.AGENT)
def categories(request):
    """Category paths matching the typed words, for the searchable tree (a datalist)."""
    q = request.GET.get("category_name", "").strip()
    if pickers.is_initials(q):
        rows = pickers.categories_by_initials(q, CATEGORY_LIMIT)
        return render(request, "web/partials/category_options.html", {"rows": rows})
    qs = Category.objects.filter(is_active=True)
    if q:
        for word in q.replace("/", " ").split():
            qs = qs.filter(full_name__icontains=word)
    else:
        qs = qs.filter(level=1)
    rows = list(qs.order_by("code")[:CATEGORY_LIMIT])
    return render(request, "web/partials/category_options.html", {"rows": rows})


@role_required(Role.AGENT)
def regions(request):
    """The next level of the region cascade."""
    return render(
        request,
        "web/partials/region_levels.html",
        {"region_levels": _region_levels(_center(request), request.GET)},
    )


@role_required(Role.AGENT)
def region_search(request):
    """Regions of the center's area found by name or pinyin initials, each with its cascade."""
    q = request.GET.get("region_q", "").strip()
    center = _center(request)
    rows = []
    if q and center is not None:
        for r in pickers.regions_below(q, center.region, REGION_LIMIT):
            codes = r.path.strip("/").split("/")
            levels = codes[codes.index(center.region.code) + 1 :]
            if len(levels) <= 3:  # the cascade's depth
                names = dict(Region.objects.filter(code__in=levels).values_list("code", "name"))
                rows.append(
                    {
                        "label": " / ".join(names[c] for c in levels),
                        "levels": "&".join(f"region_{i}={c}" for i, c in enumerate(levels, 1)),
                    }
                )
    return render(request, "web/partials/region_options.html", {"rows": rows})


@role_required(Role.AGENT)
def kb_search(request):
    kb = knowledge()
    q = request.GET.get("q", "").strip()
    hits, error = [], ""
    if kb is not None and q:
        try:
            hits = kb.search(user=request.user, q=q, limit=8)
        except HotlineError as exc:
            error = exc.message_zh
    refs = {id(h): kb.article_ref(h.article) for h in hits} if kb else {}
    rows = [(h, refs[id(h)]) for h in hits]
    return render(request, "web/partials/kb_results.html", {"rows": rows, "q": q, "error": error})
