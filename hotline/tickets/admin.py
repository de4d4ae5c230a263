"""Tickets in the admin: read-only, within the user's scope (rules 1 and 2)."""

from django.contrib import admin

from hotline.orgs import scope

from .models import Ticket, TicketEvent


class EventInline(admin.TabularInline):
    model = TicketEvent
    fields = ("seq", "action", "from_status", "to_status", "actor", "actor_unit", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Every change of a ticket goes through the lifecycle, so the admin only shows them."""

    list_display = (
        "number",
        "title",
        "status",
        "appeal_type",
        "urgency",
        "center",
        "lead_unit",
        "created_at",
    )
    list_filter = ("status", "channel", "appeal_type", "urgency", "is_supervised")
    search_fields = ("=number", "title", "citizen_phone")
    list_select_related = ("center", "lead_unit")
    show_full_result_count = False
    inlines = [EventInline]

    def get_queryset(self, request):
        return scope.visible_tickets(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
