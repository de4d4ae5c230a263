from django.urls import path

from . import views, views_checks

app_name = "supervision"

urlpatterns = [
    path("ledger/", views.ledger, name="ledger"),
    path("ledger.xlsx", views.export, name="ledger_export"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.read_all, name="read_all"),
    path("bell/", views.bell, name="bell"),
    path("field-checks/", views_checks.checks, name="field_checks"),
    path("field-checks/new/", views_checks.record, name="field_check_record"),
    path("field-checks/<int:check_id>/", views_checks.check_detail, name="field_check"),
    path(
        "field-checks/<int:check_id>/<str:action>/",
        views_checks.check_action,
        name="field_check_action",
    ),  # fmt: skip
    path("field-check-photos/<int:photo_id>/", views_checks.photo, name="field_check_photo"),
    path("bulletins/", views_checks.bulletin_list, name="bulletins"),
    path("bulletins/new/", views_checks.bulletin_create, name="bulletin_create"),
    path("bulletins/<int:bulletin_id>/", views_checks.bulletin_detail, name="bulletin"),
    path("bulletins/<int:bulletin_id>.docx", views_checks.bulletin_docx, name="bulletin_docx"),
    path(
        "bulletins/<int:bulletin_id>/<str:action>/",
        views_checks.bulletin_action,
        name="bulletin_action",
    ),  # fmt: skip
]
