from django.urls import path

from . import importing, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("submit/", views.submit, name="submit"),
    path("regions/", views.regions, name="regions"),
    path("follow/", views.follow, name="follow"),
]

# The center's import pages live under /import/ (see hotline/urls.py).
import_urlpatterns = [
    path("", importing.upload, name="upload"),
    path("<int:pk>/", importing.job, name="job"),
    path("<int:pk>/progress/", importing.progress, name="progress"),
]
