from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("police/", views.board, name="police_board"),
    path("police/t/<str:number>/handover/", views.hand_over, name="police_hand_over"),
]
