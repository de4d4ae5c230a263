"""Django admin for categories, time-limit policies and the holiday calendar (in Chinese).

Policies, categories (their utility flag) and calendar days are cached in every process for
the hot path, so each save and delete here drops the cache of this process at once.
"""

from django.contrib import admin

from . import calendar, policies
from .models import CalendarDay, Category, TimeLimitPolicy


class _InvalidatingAdmin(admin.ModelAdmin):
    """Calls `invalidate` after every save and delete made through the admin."""

    invalidate = staticmethod(lambda: None)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.invalidate()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.invalidate()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self.invalidate()


@admin.register(Category)
class CategoryAdmin(_InvalidatingAdmin):
    # The utility flag decides which policy applies, hence the policy cache.
    invalidate = staticmethod(policies.invalidate)
    list_display = ["code", "full_name", "level", "is_utility", "is_active"]
    list_filter = ["level", "is_utility", "is_active"]
    search_fields = ["code", "name", "full_name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    list_per_page = 50


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(_InvalidatingAdmin):
    invalidate = staticmethod(policies.invalidate)
    list_display = [
        "__str__",
        "region",
        "ack_value",
        "ack_unit",
        "handle_value",
        "handle_unit",
        "max_extensions",
        "max_extension_days",
    ]
    list_filter = ["appeal_type", "urgency", "utility_only", "region"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]
    fieldsets = [
        ("适用范围", {"fields": ["appeal_type", "urgency", "utility_only", "region"]}),
        ("时限", {"fields": [("ack_value", "ack_unit"), ("handle_value", "handle_unit")]}),
        (
            "延期与重办",
            {
                "fields": [
                    "max_extensions",
                    "max_extension_days",
                    "reopen_window_days",
                    "due_soon_ratio",
                ]
            },
        ),
    ]


@admin.register(CalendarDay)
class CalendarDayAdmin(_InvalidatingAdmin):
    invalidate = staticmethod(calendar.invalidate)
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    list_per_page = 100
