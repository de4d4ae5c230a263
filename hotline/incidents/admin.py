"""Admin for surges: read-mostly lists for operators; changes go through the pages and API
(services), so the admin edits only rosters and overflow thresholds."""

from django.contrib import admin

from hotline.crypto import mask_phone

from . import models


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Incident)
class IncidentAdmin(ReadOnly):
    list_display = ("name", "center", "state", "starts_at", "ends_at", "declared_by")
    list_filter = ("state",)
    search_fields = ("name",)


@admin.register(models.Script)
class ScriptAdmin(ReadOnly):
    list_display = ("incident", "version", "state", "written_by", "approved_by", "approved_at")
    list_filter = ("state",)


@admin.register(models.TicketGroup)
class TicketGroupAdmin(ReadOnly):
    list_display = ("incident", "parent", "size", "created_at", "fanned_out_at")


@admin.register(models.ReplyDelivery)
class ReplyDeliveryAdmin(ReadOnly):
    list_display = ("group", "ticket", "masked_phone", "status", "at")
    list_filter = ("status",)
    # The citizen's number masked, as everywhere (issue 18): never the full one here.
    exclude = ("phone",)
    readonly_fields = ("masked_phone",)

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)


@admin.register(models.UrgentReport)
class UrgentReportAdmin(ReadOnly):
    list_display = ("what", "place", "people", "origin", "at_center", "state", "raised_at")
    list_filter = ("state",)


@admin.register(models.PoolMember)
class PoolMemberAdmin(ReadOnly):
    list_display = ("user", "home_center", "is_active", "marked_at")


@admin.register(models.TemporaryAgent)
class TemporaryAgentAdmin(ReadOnly):
    list_display = ("user", "incident", "center", "is_active", "enrolled_at")


@admin.register(models.OverflowRule)
class OverflowRuleAdmin(admin.ModelAdmin):
    list_display = ("center", "max_waiting", "max_wait_seconds", "is_active")


@admin.register(models.DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ("center", "user", "starts_at", "ends_at")
    list_filter = ("center",)
    raw_id_fields = ("user",)
