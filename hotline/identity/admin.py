"""Security policies in the admin: a center's administrator sets them for the center's region
(second factor per role, idle timeout, password lifetime)."""

from django import forms
from django.contrib import admin

from hotline.orgs.admin import RegionScopedAdmin
from hotline.orgs.models import Role

from .models import SecurityPolicy


class SecurityPolicyForm(forms.ModelForm):
    otp_roles = forms.MultipleChoiceField(
        label="须启用双因素认证的岗位",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SecurityPolicy
        fields = ["unit", "otp_roles", "idle_minutes", "password_max_age_days"]


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(RegionScopedAdmin):
    form = SecurityPolicyForm
    region_path = "unit__region__path"
    list_display = ["unit", "roles", "idle_minutes", "password_max_age_days"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]

    @admin.display(description="须双因素认证的岗位")
    def roles(self, obj):
        labels = dict(Role.choices)
        return "、".join(labels.get(r, r) for r in obj.otp_roles) or "—"
