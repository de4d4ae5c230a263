from django.contrib import admin

from .models import Notification, NotificationPreference, SupervisionItem, Warning


class SuperuserOnly(admin.ModelAdmin):
    """These rows name tickets and people; the admin is not scoped (rule 2), so superusers only.
    Everybody else works on them through the scoped pages and API."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Warning)
class WarningAdmin(SuperuserOnly):
    list_display = ["ticket", "kind", "level", "deadline", "unit", "created_at"]
    list_filter = ["kind", "level"]
    raw_id_fields = ["ticket"]


@admin.register(SupervisionItem)
class SupervisionItemAdmin(SuperuserOnly):
    list_display = ["ticket", "target_unit", "source", "level", "state", "opened_at", "deadline"]
    list_filter = ["state", "level", "source"]
    raw_id_fields = ["ticket", "escalated_from"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(SuperuserOnly):
    list_display = ["user", "email", "sms", "webhook_url"]


@admin.register(Notification)
class NotificationAdmin(SuperuserOnly):
    list_display = ["recipient", "title", "created_at", "read_at"]
