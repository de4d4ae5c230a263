from django.urls import path

from . import views

app_name = "topics"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.create, name="create"),
    path("<int:topic_id>/", views.board_page, name="board"),
    path("<int:topic_id>/brief.docx", views.brief_download, name="brief"),
]
