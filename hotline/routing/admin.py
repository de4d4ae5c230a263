"""Administration of routing: the category → department mapping, landmarks, decisions."""

from django.contrib import admin
from django.db.models import Count, Q

from . import jurisdiction, recommender
from .models import CategoryFunction, DispatchDecision, Landmark


@admin.register(CategoryFunction)
class CategoryFunctionAdmin(admin.ModelAdmin):
    list_display = (
        "category_code",
        "category_name",
        "function",
        "auto_dispatch",
        "auto_threshold",
        "updated_at",
    )
    list_editable = ("function", "auto_dispatch", "auto_threshold")
    list_filter = ("function", "auto_dispatch")
    search_fields = ("category_code", "category_name")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        recommender.invalidate()  # this process sees the change at once, others within a minute


@admin.register(Landmark)
class LandmarkAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "created_at")
    search_fields = ("name",)
    autocomplete_fields = ("region",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        jurisdiction.invalidate()


@admin.register(DispatchDecision)
class DispatchDecisionAdmin(admin.ModelAdmin):
    """Read-only: the record of what was suggested and decided is evidence, not a form."""

    list_display = (
        "ticket",
        "final_unit",
        "category",
        "confidence",
        "accepted",
        "in_suggestions",
        "automatic",
        "decided_by",
        "decided_at",
    )
    list_filter = ("accepted", "in_suggestions", "automatic", "category")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "final_unit", "decided_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """Above the list: how often each center's dispatchers followed the suggestion."""
        rows = (
            DispatchDecision.objects.filter(automatic=False)
            .values("center__name")
            .annotate(
                n=Count("id"),
                accepted=Count("id", filter=Q(accepted=True)),
                in_suggestions=Count("id", filter=Q(in_suggestions=True)),
            )
            .order_by("center__name")
        )
        acceptance = [
            {**r, "center": r["center__name"], "rate": round(100 * r["accepted"] / r["n"])}
            for r in rows
        ]
        return super().changelist_view(request, {**(extra_context or {}), "acceptance": acceptance})
