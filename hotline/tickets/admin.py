"""Tickets in the admin: read-only, within the user's scope (rules 1 and 2)."""

from django.contrib import admin

from hotline.crypto import normal_phone, phone_q
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
    search_fields = ("=number", "title")
    list_select_related = ("center", "lead_unit")
    show_full_result_count = False
    inlines = [EventInline]

    def get_queryset(self, request):
        return scope.visible_tickets(request.user)

    def get_search_results(self, request, queryset, search_term):
        # The phone is encrypted: a number is found through its keyed hash, never by LIKE.
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if normal_phone(search_term):
            found = found | queryset.filter(phone_q(search_term))
        return found, duplicates

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
