from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from hotline.errors import HotlineError

from . import police, services
from .models import (
    ConnectedSystem,
    Delivery,
    PoliceDemand,
    PoliceLink,
    PoliceLinkSetting,
    PoliceReport,
    Subscription,
    SystemKind,
)


class ConnectedSystemForm(forms.ModelForm):
    class Meta:
        model = ConnectedSystem
        fields = ["code", "name", "kind", "unit", "service_user", "secret", "is_active"]

    def clean(self):
        data = super().clean()
        if data.get("kind") == SystemKind.POLICE:
            try:
                police.check_partner(center=data.get("unit"), service_user=data.get("service_user"))
            except HotlineError as exc:
                raise ValidationError({exc.field: f"{exc.message_zh} / {exc.message_en}"}) from None
        return data


@admin.register(ConnectedSystem)
class ConnectedSystemAdmin(admin.ModelAdmin):
    form = ConnectedSystemForm
    list_display = ["code", "name", "kind", "unit", "service_user", "is_active"]
    list_filter = ["kind", "is_active"]
    raw_id_fields = ["unit", "service_user"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["system", "url", "is_active", "max_attempts", "cursor"]
    actions = ["replay_dead"]

    @admin.action(description="重放死信 / replay dead letters")
    def replay_dead(self, request, queryset):
        try:
            total = sum(services.replay(subscription=s, by=request.user) for s in queryset)
        except HotlineError as exc:
            self.message_user(request, f"{exc.message_zh} / {exc.message_en}", messages.ERROR)
            return
        self.message_user(request, f"已重新排队 {total} 条 / re-queued {total}", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscription", "message_id", "ticket_id", "state", "attempts", "last_error"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(PoliceLinkSetting)
class PoliceLinkSettingAdmin(admin.ModelAdmin):
    list_display = ["center", "ack_minutes"]
    raw_id_fields = ["center"]


class PoliceReportInline(admin.TabularInline):
    model = PoliceReport
    extra = 0
    can_delete = False
    readonly_fields = ["report_id", "kind", "at", "note", "received_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PoliceLink)
class PoliceLinkAdmin(admin.ModelAdmin):
    """Read-only: the steps are the police's reports and the ticket's events."""

    list_display = ["reference", "ticket", "partner", "state", "handed_at", "ack_due_at",
                    "acknowledged_at", "concluded_at"]  # fmt: skip
    list_filter = ["state", "partner"]
    search_fields = ["reference", "ticket__number", "police_ref"]
    readonly_fields = [f.name for f in PoliceLink._meta.fields]
    inlines = [PoliceReportInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PoliceDemand)
class PoliceDemandAdmin(admin.ModelAdmin):
    list_display = ["police_ref", "partner", "ticket", "police_unit", "received_at",
                    "result_sent_at"]  # fmt: skip
    list_filter = ["partner"]
    search_fields = ["police_ref", "ticket__number"]
    readonly_fields = [f.name for f in PoliceDemand._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
