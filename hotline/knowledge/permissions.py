"""Who may read and who may edit the knowledge base.

Reading (search, detail of a live article): every active user with at least one active
membership — agents answer from it, and handlers in units answer citizens with the same
policies. Articles are public guidance, so reading is not limited by region (rule 2 is about
tickets); the region filter of a search says where an article *applies*.

Editing (create, update, retire): the superuser; an administrator (role admin) of a hotline
center; or center staff (any center role) granted the Django permission
`knowledge.edit_knowledge` (知识编辑, e.g. through a group). They edit the articles owned by
their center or a unit below it, and publish only for their center's region and below.
"""

from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, Role, Unit

EDIT_PERMISSION = "knowledge.edit_knowledge"


def can_read(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or bool(scope.memberships(user))


def editor_centers(user) -> list[Unit]:
    """The centers whose articles `user` may edit (empty for a superuser: they edit all)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    editor = None
    centers = []
    for m in scope.memberships(user):
        if not m.unit.is_center or m.role not in CENTER_ROLES:
            continue
        if m.role != Role.ADMIN:
            if editor is None:
                editor = user.has_perm(EDIT_PERMISSION)
            if not editor:
                continue
        centers.append(m.unit)
    return centers


def is_editor(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active) or bool(
        editor_centers(user)
    )


def can_edit_owner(user, owner: Unit) -> bool:
    """May `user` edit an article owned by `owner`?"""
    if user.is_superuser and user.is_active:
        return True
    return any(owner.is_within(center) for center in editor_centers(user))
