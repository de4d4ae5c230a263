from django.urls import path

from . import views, views_ops

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("declare/", views.declare, name="declare"),
    path("banner/", views.banner, name="banner"),
    path("temporary/", views.temporary_page, name="temporary"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/scripts/", views.write_script, name="write_script"),
    path("<int:pk>/scripts/<int:script_id>/approve/", views.approve_script, name="approve"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/group/", views.group, name="group"),
    path("<int:pk>/enroll/", views.enroll, name="enroll"),
    path("pool/", views_ops.pool, name="pool"),
    path("pool/rule/", views_ops.set_rule, name="set_rule"),
    path("pool/mark/", views_ops.mark, name="mark"),
    path("reports/", views_ops.reports, name="reports"),
    path("reports/raise/", views_ops.raise_report, name="raise_report"),
    path("reports/<int:pk>/", views_ops.report, name="report"),
    path("reports/<int:pk>/acknowledge/", views_ops.acknowledge, name="acknowledge"),
    path("staffing/", views_ops.staffing_page, name="staffing"),
]
