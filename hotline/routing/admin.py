"""Administration of routing: the category → department mapping, landmarks, decisions."""

from django.contrib import admin
from django.db.models import Count, Q

from . import jurisdiction, recommender
from .models import CategoryFunction, DispatchCorrection, DispatchDecision, Landmark, ModelVersion


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


class ReadOnly(admin.ModelAdmin):
    """Records written by the services: the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DispatchDecision)
class DispatchDecisionAdmin(ReadOnly):
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


@admin.register(DispatchCorrection)
class DispatchCorrectionAdmin(ReadOnly):
    """Where dispatchers overrode the suggestion: the next model's lessons (frozen ones never)."""

    list_display = (
        "ticket",
        "suggested_category",
        "suggested_unit",
        "final_unit",
        "label",
        "frozen",
        "created_at",
    )
    list_filter = ("frozen", "label")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "final_unit")


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnly):
    """Every retrained model with its figures on the frozen split, deployed or not, and why."""

    list_display = (
        "kind",
        "version",
        "trained_at",
        "n_train",
        "n_corrections",
        "n_excluded",
        "n_test",
        "f1",
        "precision",
        "recall",
        "active_version",
        "active_f1",
        "deployed",
        "reason",
    )
    list_filter = ("kind", "deployed")
