"""风险甄别的管理后台：词库可编辑（每次保存即一个新版本），其余为只读记录。"""

from django.contrib import admin

from . import lexicon
from .models import (
    LexiconTerm,
    LexiconVersion,
    PoliceHandover,
    RepeatCase,
    ReplyReview,
    ReviewCorrection,
    RiskAlert,
    RiskAssessment,
)


class ReadOnly(admin.ModelAdmin):
    """Records written by the services; the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LexiconTerm)
class LexiconTermAdmin(admin.ModelAdmin):
    list_display = ("term", "category", "level", "homophones", "is_active", "updated_at")
    list_filter = ("category", "level", "is_active", "homophones")
    search_fields = ("term", "note")
    fields = ("term", "category", "level", "homophones", "is_active", "note")

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the version log refers to the term

    def save_model(self, request, obj, form, change):
        # Through the service, so that the edit is versioned and screening uses it at once.
        lexicon.edit(
            by=request.user,
            changes=[
                {
                    "term": obj.term,
                    "category": obj.category,
                    "level": obj.level,
                    "homophones": obj.homophones,
                    "active": obj.is_active,
                    "note": obj.note,
                }
            ],
            summary=f"管理后台{'修改' if change else '新增'}：{obj.term}",
        )
        saved = LexiconTerm.objects.get(term=obj.term.strip(), category=obj.category)
        obj.pk = saved.pk


@admin.register(LexiconVersion)
class LexiconVersionAdmin(ReadOnly):
    list_display = ("number", "summary", "created_by", "created_at")


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnly):
    list_display = ("ticket", "level", "flags", "created_at")
    list_filter = ("level",)
    search_fields = ("ticket__number",)


@admin.register(RiskAlert)
class RiskAlertAdmin(ReadOnly):
    list_display = ("ticket", "kind", "unit", "role", "created_at", "delivered_at")
    list_filter = ("kind",)
    search_fields = ("ticket__number",)


@admin.register(PoliceHandover)
class PoliceHandoverAdmin(ReadOnly):
    list_display = ("ticket", "police_unit", "handed_by", "handed_unit", "handed_at")
    search_fields = ("ticket__number", "police_unit")


@admin.register(RepeatCase)
class RepeatCaseAdmin(ReadOnly):
    list_display = ("first_ticket", "scope", "first_at", "created_at", "is_open")
    list_filter = ("is_open",)


@admin.register(ReplyReview)
class ReplyReviewAdmin(ReadOnly):
    list_display = ("ticket", "verdict", "score", "created_at")
    list_filter = ("verdict",)
    search_fields = ("ticket__number",)


@admin.register(ReviewCorrection)
class ReviewCorrectionAdmin(ReadOnly):
    """Where reviewers decided against the automatic review: the reply scorer's next lesson."""

    list_display = ("ticket", "machine_verdict", "send_back", "frozen", "decided_by", "created_at")
    list_filter = ("machine_verdict", "send_back", "frozen")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "decided_by")
