from django.contrib import admin

from .models import MarkLimit, Topic


@admin.register(MarkLimit)
class MarkLimitAdmin(admin.ModelAdmin):
    list_display = ("center", "kind", "limit_days")
    list_filter = ("kind",)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "center", "limit_days", "mandatory_supervision", "is_active")
    # Rules change only through the service (a changed rule would need a new retroactive pass).
    readonly_fields = ("keywords", "categories", "regions", "starts_at", "ends_at", "created_by",
                       "created_at", "backfill_upto", "backfill_done", "backfill_total",
                       "backfill_scanned", "backfill_finished_at", "checked_up_to")  # fmt: skip
