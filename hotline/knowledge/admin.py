"""Django admin for knowledge articles and synonyms (in Chinese), with the API's rules.

Saving goes through the services, so tokens, the index version and the permission checks are
the same as in the API: a non-superuser sees and edits only the articles owned by their
centers (and the units below); deleting is for superusers, editors retire (下架) instead.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from hotline.errors import HotlineError
from hotline.orgs.models import Unit

from . import permissions, services
from .models import Article, SynonymGroup


class LiveFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "已发布且在有效期"), ("draft", "未发布"), ("retired", "已下架")]

    def queryset(self, request, queryset):
        if self.value() == "draft":
            return queryset.filter(is_published=False, retired_at__isnull=True)
        if self.value() == "retired":
            return queryset.filter(retired_at__isnull=False)
        if self.value() == "live":
            today = timezone.localdate()
            return queryset.filter(
                Q(valid_from__isnull=True) | Q(valid_from__lte=today),
                Q(valid_until__isnull=True) | Q(valid_until__gte=today),
                is_published=True,
                retired_at__isnull=True,
            )
        return queryset


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "region",
        "owner",
        "valid_until",
        "is_published",
        "retired_at",
        "use_count",
        "updated_at",
    ]
    list_filter = [LiveFilter, "is_published", "owner__level", "category__parent__parent"]
    search_fields = ["title", "body", "owner__name", "region__name", "category__full_name"]
    autocomplete_fields = ["category", "region", "owner"]
    list_select_related = ["category", "region", "owner"]
    fields = [
        "title",
        "body",
        "category",
        "region",
        "owner",
        ("valid_from", "valid_until"),
        "is_published",
        "retired_at",
        "use_count",
        "last_used_at",
        "created_by",
        "updated_by",
    ]
    readonly_fields = ["retired_at", "use_count", "last_used_at", "created_by", "updated_by"]
    actions = ["retire"]
    list_per_page = 50

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        centers = permissions.editor_centers(request.user)
        if not centers:
            return qs.none()
        own = Unit.objects.none()
        for center in centers:
            own |= Unit.objects.filter(path__startswith=center.path)
        return qs.filter(owner__in=own)

    def has_module_permission(self, request):
        return permissions.is_editor(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_add_permission(self, request):
        return permissions.is_editor(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return permissions.is_editor(request.user)
        return permissions.can_edit_owner(request.user, obj.owner)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner" and not request.user.is_superuser:
            own = Unit.objects.none()
            for center in permissions.editor_centers(request.user):
                own |= Unit.objects.filter(path__startswith=center.path)
            kwargs["queryset"] = own
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _input(self, form) -> services.ArticleInput:
        d = form.cleaned_data
        return services.ArticleInput(
            title=d["title"],
            body=d["body"],
            category=d.get("category"),
            region=d.get("region"),
            owner=d.get("owner"),
            valid_from=d.get("valid_from"),
            valid_until=d.get("valid_until"),
            is_published=d.get("is_published", True),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        admin_self = self

        class CheckedForm(form):
            """Runs the services' checks in validation, so errors land on the right field."""

            def clean(self):
                cleaned = super().clean()
                if self.errors:
                    return cleaned
                try:
                    services.check_input(
                        by=request.user,
                        data=admin_self._input(self),
                        current_owner=obj.owner if obj else None,
                    )
                except HotlineError as exc:
                    field = exc.field if exc.field in self.fields else None
                    raise ValidationError(
                        {field: exc.message_zh} if field else exc.message_zh
                    ) from exc
                return cleaned

        return CheckedForm

    def save_model(self, request, obj, form, change):
        data = self._input(form)
        if change:
            saved = services.update_article(
                article=Article.objects.get(pk=obj.pk), by=request.user, data=data
            )
        else:
            saved = services.create_article(by=request.user, data=data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.delete_article(article=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            services.delete_article(article=article, by=request.user)

    @admin.action(description="下架所选知识条目")
    def retire(self, request, queryset):
        done = 0
        for article in queryset.select_related("owner"):
            try:
                services.retire_article(article=article, by=request.user)
                done += 1
            except HotlineError as exc:
                self.message_user(request, f"{article}：{exc.message_zh}", messages.ERROR)
        self.message_user(request, f"已下架 {done} 条")


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    """Synonyms apply at query time: a save only renews the index version, nothing re-segments."""

    list_display = ["terms", "is_active", "note"]
    list_filter = ["is_active"]
    search_fields = ["terms", "note"]

    def has_module_permission(self, request):
        return permissions.is_editor(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.is_editor(request.user)

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None):
        return permissions.is_editor(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_editor(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.touch_index()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.touch_index()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.touch_index()
