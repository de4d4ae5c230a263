from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("scorecards/", views.page, name="scorecards"),
    path("scorecards/<str:unit_code>/<str:figure>/", views.drill, name="drill"),
    path("accountability/", views.accountability_page, name="accountability"),
    path("accountability.docx", views.accountability_notice, name="accountability_notice"),
]
