from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("ledger/", views.ledger, name="ledger"),
    path("ledger.xlsx", views.export, name="ledger_export"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.read_all, name="read_all"),
    path("bell/", views.bell, name="bell"),
]
