from django.urls import path

from . import export_views, views

app_name = "audit"

urlpatterns = [
    path("reveal/<str:number>/", views.reveal, name="reveal"),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/export/", views.access_log_export, name="access_log_export"),
    path("exports/", export_views.requests_page, name="exports"),
    path("exports/queue/", export_views.queue, name="export_queue"),
    path("exports/settings/", export_views.settings_page, name="export_settings"),
    path("exports/<int:pk>/progress/", export_views.progress, name="export_progress"),
    path("exports/<int:pk>/download/", export_views.download, name="export_download"),
    path("exports/<int:pk>/approve/", export_views.approve, name="export_approve"),
    path("exports/<int:pk>/refuse/", export_views.refuse, name="export_refuse"),
]
