from django.urls import path, re_path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    re_path(
        r"^(?P<code>\d{6,12})/(?P<kind>monthly|quarterly)/(?P<key>[0-9Q-]{6,8})\.(?P<fmt>docx|html)$",
        views.download,
        name="download",
    ),
    re_path(
        r"^(?P<code>\d{6,12})/(?P<kind>monthly|quarterly)/(?P<key>[0-9Q-]{6,8})/generate$",
        views.regenerate,
        name="regenerate",
    ),
]
