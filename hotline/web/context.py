"""The shell around every page: navigation for the active role, counters, the switcher."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from hotline.orgs import scope

from . import queues
from .common import ROLE_LINKS, ROLE_QUEUES, active_membership


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
            items.append({"url": reverse(name), "label": label, "count": None})
    return {
        "active": active,
        "items": items,
        "memberships": scope.memberships(request.user),
    }


def shell(request):
    """Lazy: pages without the shell (login, admin) pay nothing for it."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"shell": SimpleLazyObject(lambda: _nav(request))}
