from django.contrib import admin

from .models import ScoreWeight


@admin.register(ScoreWeight)
class ScoreWeightAdmin(admin.ModelAdmin):
    """Weights per level and unit type; a blank field matches any (the most specific wins)."""

    list_display = ["level", "unit_kind", "response", "resolution", "satisfaction"]
