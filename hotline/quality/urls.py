from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("", views.home, name="home"),
    path("draw/", views.draw, name="draw"),
    path("monthly/", views.monthly, name="monthly"),
    path("items/<int:item_id>/", views.item_page, name="item"),
    path("items/<int:item_id>/score/", views.score, name="score"),
    path("items/<int:item_id>/appeal/", views.appeal, name="appeal"),
    path("items/<int:item_id>/decide/", views.decide, name="decide"),
]
