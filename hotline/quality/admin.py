from django.contrib import admin

from .models import Checker, Plan, RubricLine


@admin.register(Checker)
class CheckerAdmin(admin.ModelAdmin):
    list_display = ("user", "center", "is_active")
    list_filter = ("is_active",)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("center", "per_agent", "weekly")


@admin.register(RubricLine)
class RubricLineAdmin(admin.ModelAdmin):
    list_display = ("center", "order", "code", "label", "points", "is_active")
    list_filter = ("center",)
