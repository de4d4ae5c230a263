from django.urls import path

from . import callback_views, views, wallboard_views

app_name = "calls"

urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("desk/state-panel/", views.state_panel, name="state_panel"),
    path("desk/pop/", views.pop, name="pop"),
    path("desk/sign-in/", views.sign_in, name="sign_in"),
    path("desk/state/", views.set_state, name="set_state"),
    path("desk/sign-out/", views.sign_out, name="sign_out"),
    path("desk/follow-up/", views.follow_up, name="follow_up"),
    path("wallboard/", wallboard_views.board, name="wallboard"),
    path("wallboard/data/", wallboard_views.data, name="wallboard_data"),
    path("callbacks/", callback_views.callback_queue, name="callbacks"),
    path("callbacks/<int:item_id>/take/", callback_views.take, name="callback_take"),
    path("callbacks/<int:item_id>/dial/", callback_views.dial, name="callback_dial"),
    path("callbacks/<int:item_id>/outcome/", callback_views.outcome, name="callback_outcome"),
    path("dial/ticket/", callback_views.dial_ticket, name="dial_ticket"),
]
