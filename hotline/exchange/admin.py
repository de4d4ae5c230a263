from django.contrib import admin, messages

from hotline.errors import HotlineError

from . import services
from .models import ConnectedSystem, Delivery, Subscription


@admin.register(ConnectedSystem)
class ConnectedSystemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "service_user", "is_active"]
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
