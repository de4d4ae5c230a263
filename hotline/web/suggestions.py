"""Suggestions beside the intake form from the routing and screening services, if present.

Both are optional (rule: the form works without them): each is used only when its app is
installed, and a failure inside one is logged and shown as no suggestion, never as an error
to the agent in the middle of a call.
"""

import logging

from django.apps import apps
from django.shortcuts import render
from django.views.decorators.http import require_POST

from hotline.catalog.models import Category
from hotline.orgs.models import Role

from .common import role_required

log = logging.getLogger(__name__)
MIN_TEXT = 6


def _routing(title, content, address, center):
    if not apps.is_installed("hotline.routing"):
        return None
    from hotline.routing import services as routing

    s = routing.suggest(
        title=title, content=content, address=address, default_region_id=center.region_id
    )
    code = next((c for c in reversed(s.category) if c), None)
    category = Category.objects.filter(code=code, is_active=True).first() if code else None
    return {
        "category": category,
        "confidence": round(s.confidence * 100),
        "region": s.region,
        "units": [u.get("name") or u.get("code") for u in s.units[:3]],
    }


def _screening(title, content):
    if not apps.is_installed("hotline.screening"):
        return None
    from hotline.screening import services as screening
    from hotline.screening.kinds import Category as RiskKind
    from hotline.screening.kinds import Level

    r = screening.screen_demand(title, content)
    kinds = dict(RiskKind.choices)
    return {
        "level": str(r.level),
        "level_label": dict(Level.choices).get(str(r.level), str(r.level)),
        "flags": [kinds.get(f, f) for f in r.flags],
    }


@require_POST
@role_required(Role.AGENT)
def suggest(request):
    p = request.POST
    content = p.get("content", "").strip()
    title = p.get("title", "").strip() or content[:30]
    ctx = {}
    if len(content) >= MIN_TEXT:
        center = request.role_memberships[0].unit
        for name, call in (
            ("routing", lambda: _routing(title, content, p.get("address", ""), center)),
            ("screening", lambda: _screening(title, content)),
        ):
            try:
                ctx[name] = call()
            except Exception:  # an optional helper must never break an intake call
                log.exception("intake suggestion from %s failed", name)
    return render(request, "web/partials/intake_suggest.html", ctx)
