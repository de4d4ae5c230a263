"""Django admin for regions, units, users, memberships and API tokens (in Chinese).

Staff who are not superusers administer their own region only (rule 2 for the admin): the
regions of their administrator (系统管理员) memberships and everything below them. Rows
outside are not listed and their pages are 404; choices in forms are limited the same way.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q

from . import scope, services
from .models import ApiToken, Membership, Region, Role, Unit, User


def admin_region_q(user, field: str) -> Q | None:
    """None for a superuser (no limit); else a Q on `field` (a region path) for the staff
    user's administered regions, matching nothing when there are none."""
    if user.is_superuser:
        return None
    q = Q(pk__in=[])
    for m in scope.memberships(user):
        if m.role == Role.ADMIN:
            q |= Q(**{f"{field}__startswith": m.unit.region.path})
    return q


class RegionScopedAdmin(admin.ModelAdmin):
    """Limits rows (and foreign-key choices) to the regions the staff user administers."""

    region_path = "region__path"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        q = admin_region_q(request.user, self.region_path)
        return qs if q is None else qs.filter(q).distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limits = {Region: "path", Unit: "region__path", User: "memberships__unit__region__path"}
        field = limits.get(db_field.related_model)
        q = admin_region_q(request.user, field) if field else None
        if q is not None:
            kwargs["queryset"] = db_field.related_model.objects.filter(q).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.site_header = "12345 一张网 · 管理后台"
admin.site.site_title = "12345 一张网"
admin.site.index_title = "系统管理"


@admin.register(Region)
class RegionAdmin(RegionScopedAdmin):
    region_path = "path"
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    list_select_related = ["parent"]
    list_per_page = 50


@admin.register(Unit)
class UnitAdmin(RegionScopedAdmin):
    list_display = ["code", "name", "kind", "level", "function", "region", "parent", "is_active"]
    list_filter = ["kind", "level", "is_active", "leader_approval"]
    search_fields = ["code", "name", "function"]
    autocomplete_fields = ["parent", "region"]
    readonly_fields = ["path"]
    list_select_related = ["parent", "region"]
    list_per_page = 50


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["unit"]
    fields = ["unit", "role", "is_active"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        q = admin_region_q(request.user, "unit__region__path")
        return qs if q is None else qs.filter(q)


@admin.register(User)
class UserAdmin(RegionScopedAdmin, BaseUserAdmin):
    region_path = "memberships__unit__region__path"
    list_display = ["username", "full_name", "phone", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "full_name", "phone", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("full_name", "phone", "email")}),
        (
            "权限",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("重要日期", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "phone", "password1", "password2"),
            },
        ),
    )
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(RegionScopedAdmin):
    region_path = "unit__region__path"
    list_display = ["user", "unit", "role", "is_active"]
    list_filter = ["role", "is_active", "unit__kind", "unit__level"]
    search_fields = ["user__username", "user__full_name", "unit__code", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(ApiToken)
class ApiTokenAdmin(RegionScopedAdmin):
    """Tokens are issued by `orgs.services.issue_token`, which shows the key once; here only
    the prefix and the hash are shown; a token can be renamed, switched off or revoked."""

    list_display = [
        "name", "user", "prefix", "scope", "created_at", "expires_at", "last_used_at",
        "is_active", "revoked_at",
    ]  # fmt: skip
    list_filter = ["is_active", "scope"]
    search_fields = ["name", "prefix", "user__username", "user__full_name"]
    fields = [
        "user", "name", "prefix", "key_hash", "scope", "created_at", "expires_at",
        "last_used_at", "is_active", "revoked_at",
    ]  # fmt: skip
    readonly_fields = [
        "user", "prefix", "key_hash", "scope", "created_at", "expires_at", "last_used_at",
        "revoked_at",
    ]  # fmt: skip
    actions = ["revoke"]
    list_select_related = ["user"]
    region_path = "user__memberships__unit__region__path"

    def has_add_permission(self, request):
        return False

    @admin.action(description="吊销所选令牌")
    def revoke(self, request, queryset):
        for token in queryset:
            services.revoke_token(token=token)
