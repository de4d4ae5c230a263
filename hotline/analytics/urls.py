from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("warnings/", views.warnings_page, name="warnings"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("topics/", views.topics_page, name="topics"),
]
