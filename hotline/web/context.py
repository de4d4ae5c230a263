"""The shell around every page: navigation for the active role, counters, the switcher."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from hotline.orgs import scope
from hotline.quality import access as quality_access
from hotline.quality.models import ItemState, SampleItem
from hotline.supervision import webpush
from hotline.tickets import lifecycle

from . import queues
from .common import ROLE_LINKS, ROLE_QUEUES, active_membership


def _approvals_waiting(active) -> int:
    return lifecycle.waiting_for([active.unit_id]).count()


# Links after the queue that show how much waits behind them: url name → count(membership).
LINK_COUNTS = {"web:approvals": _approvals_waiting}


def _nav(request):
    active = active_membership(request)
    items = []
    if active is not None and active.role in ROLE_QUEUES:
        name, label = ROLE_QUEUES[active.role]
        items.append(
            {
                "url": reverse(name),
                "label": label,
                "count": queues.counts(request, active).get(name),
            }
        )
    if active is not None:
        for name, label in ROLE_LINKS.get(active.role, []):
            count = LINK_COUNTS[name](active) if name in LINK_COUNTS else None
            items.append({"url": reverse(name), "label": label, "count": count})
    if active is not None:
        _checker_link(request, active, items)
    return {
        "active": active,
        "items": items,
        "memberships": scope.memberships(request.user),
    }


def _checker_link(request, active, items) -> None:
    """A quality checker is appointed, not a role: a reviewer or a callback agent who checks
    their center's sample finds 质检 in the navigation with the items waiting for them."""
    url = reverse("quality:home")
    if not active.unit.is_center or any(i["url"] == url for i in items):
        return  # a unit's handlers and leaders (most pages served) cost no query
    if active.unit_id not in quality_access.checker_centers(request.user):
        return
    waiting = SampleItem.objects.filter(
        checker=request.user, state=ItemState.PENDING, sample__center_id=active.unit_id
    ).count()
    exports = reverse("audit:exports")  # stays the last entry, as for every role
    at = next((n for n, i in enumerate(items) if i["url"] == exports), len(items))
    items.insert(at, {"url": url, "label": "质检", "count": waiting or None})


def shell(request):
    """Lazy: pages without the shell (login, admin) pay nothing for it."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    # The key the service worker subscribes to Web Push with ('' while push is off).
    return {"shell": SimpleLazyObject(lambda: _nav(request)), "push_key": webpush.public_key()}
