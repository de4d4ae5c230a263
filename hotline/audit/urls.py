from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("reveal/<str:number>/", views.reveal, name="reveal"),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/export/", views.access_log_export, name="access_log_export"),
]
