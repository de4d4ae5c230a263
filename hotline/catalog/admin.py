"""Django admin for categories, time-limit policies and the holiday calendar (in Chinese).

Policies, categories (their utility flag) and calendar days are cached in every process for
the hot path, so each save and delete here drops the cache of this process at once.

Categories and the calendar are the province's: staff who are not superusers may read them
but not change them. Time-limit policies: they change those of the regions they administer
(an override for their region), and read the province defaults.
"""

from django.contrib import admin
from django.db.models import Q

from hotline.orgs.admin import admin_region_q
from hotline.orgs.models import Region

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


class _ProvinceWideAdmin(_InvalidatingAdmin):
    """Shared by the whole province: only a superuser changes it."""

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(Category)
class CategoryAdmin(_ProvinceWideAdmin):
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

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        q = admin_region_q(request.user, "region__path")
        return qs if q is None else qs.filter(q | Q(region__isnull=True))

    def _own(self, request, obj):
        if obj is None or request.user.is_superuser:
            return True
        q = admin_region_q(request.user, "region__path")
        return obj.region_id is not None and type(obj).objects.filter(q, pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        q = admin_region_q(request.user, "path")
        if db_field.name == "region" and q is not None:
            kwargs["queryset"] = Region.objects.filter(q)
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
class CalendarDayAdmin(_ProvinceWideAdmin):
    invalidate = staticmethod(calendar.invalidate)
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    list_per_page = 100
