from django.contrib import admin, messages

from . import services
from .models import (
    CallEvent,
    CallPlatform,
    CallQueue,
    RejectedRequest,
    Seat,
)


@admin.register(CallPlatform)
class CallPlatformAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "center", "dial_kind", "is_active"]
    raw_id_fields = ["center"]
    # The secret is made by the product and shown once, on create or rotation; never again.
    exclude = ["secret"]
    actions = ["rotate"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = services.new_secret()
            self.message_user(
                request,
                f"平台密钥（只显示这一次，请交给平台配置）：{obj.secret}",
                messages.WARNING,
            )
        super().save_model(request, obj, form, change)

    @admin.action(description="更换签名密钥 / rotate the secret")
    def rotate(self, request, queryset):
        for platform in queryset:
            secret = services.rotate_secret(platform=platform)
            self.message_user(
                request, f"{platform.code} 的新密钥（只显示这一次）：{secret}", messages.WARNING
            )


@admin.register(CallQueue)
class CallQueueAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "center"]
    raw_id_fields = ["center"]


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["code", "center", "extension", "is_active"]
    raw_id_fields = ["center"]


@admin.register(RejectedRequest)
class RejectedRequestAdmin(admin.ModelAdmin):
    list_display = ["platform_code", "reason", "count", "last_at"]
    list_filter = ["reason"]
    readonly_fields = ["platform_code", "reason", "count", "last_at"]

    def has_add_permission(self, request):
        return False


class ErrorFilter(admin.SimpleListFilter):
    title = "错误"
    parameter_name = "has_error"

    def lookups(self, request, model_admin):
        return [("yes", "有错误"), ("no", "无错误")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(error="")
        if self.value() == "no":
            return queryset.filter(error="")
        return queryset


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    """Events kept with an error (unknown seat or queue) are listed here, never dropped."""

    list_display = [
        "event_id",
        "platform",
        "platform_call_id",
        "type",
        "at",
        "error",
        "error_message",
    ]
    list_filter = [ErrorFilter, "error", "type"]
    search_fields = ["event_id", "platform_call_id"]
    readonly_fields = [f.name for f in CallEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
