"""The quality app's admin: a center's administrator (staff, with the model permissions) works on
the checkers, plan and rubric of their center and the centers below only; superusers on all."""

from django.contrib import admin
from django.db.models import Q

from hotline.orgs import scope
from hotline.orgs.models import Role, Unit, User

from .models import Checker, Plan, RubricLine


def admin_centers(user):
    """Centers the user administers: those where they are an administrator, and below."""
    centers = Unit.objects.filter(kind__in=["center", "subcenter"], is_active=True)
    if user.is_superuser:
        return centers
    condition = Q(pk__in=[])
    for m in scope.memberships(user):
        if m.role == Role.ADMIN and m.unit.is_center:
            condition |= Q(path__startswith=m.unit.path)
    return centers.filter(condition)


class CenterScoped(admin.ModelAdmin):
    """Rows, and the centers and people offered in the forms, of the user's centers only."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(center__in=admin_centers(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            centers = admin_centers(request.user)
            if db_field.name == "center":
                kwargs["queryset"] = centers
            elif db_field.name == "user":
                kwargs["queryset"] = User.objects.filter(
                    memberships__unit__in=centers, memberships__is_active=True
                ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Checker)
class CheckerAdmin(CenterScoped):
    list_display = ("user", "center", "is_active")
    list_filter = ("is_active",)


@admin.register(Plan)
class PlanAdmin(CenterScoped):
    list_display = ("center", "per_agent", "weekly")


@admin.register(RubricLine)
class RubricLineAdmin(CenterScoped):
    list_display = ("center", "order", "code", "label", "points", "is_active")
    list_filter = (("center", admin.RelatedOnlyFieldListFilter),)
