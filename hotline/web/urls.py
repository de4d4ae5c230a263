from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    approvals,
    callback,
    dispatch,
    inbox,
    intake,
    pwa,
    review,
    shell,
    suggestions,
    supervisor,
    ticket,
)

app_name = "web"

urlpatterns = [
    path("", shell.home, name="home"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("push/subscribe/", pwa.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", pwa.push_unsubscribe, name="push_unsubscribe"),
    path("switch/", shell.switch, name="switch"),
    path("nav/", shell.nav_counts, name="nav"),
    path("intake/", intake.intake, name="intake"),
    path("intake/history/", intake.history, name="intake_history"),
    path("intake/categories/", intake.categories, name="intake_categories"),
    path("intake/regions/", intake.regions, name="intake_regions"),
    path("intake/regions/search/", intake.region_search, name="intake_region_search"),
    path("intake/kb/", intake.kb_search, name="intake_kb"),
    path("intake/suggest/", suggestions.suggest, name="intake_suggest"),
    path("dispatch/", dispatch.queue, name="dispatch"),
    path("dispatch/bulk/", dispatch.bulk, name="dispatch_bulk"),
    path("dispatch/accept/", dispatch.accept, name="dispatch_accept"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/export.xlsx", inbox.export, name="inbox_export"),
    path("approvals/", approvals.approvals, name="approvals"),
    path("review/", review.queue, name="review"),
    path("review/<str:number>/", review.decide, name="review_decide"),
    path("callback/", callback.queue, name="callback"),
    path("callback/<str:number>/", callback.record, name="callback_record"),
    path("supervise/", supervisor.board, name="supervise"),
    path("supervise/export.xlsx", supervisor.export, name="supervise_export"),
    path("t/<str:number>/", ticket.detail, name="ticket"),
    path("t/<str:number>/files/<int:file_id>/", ticket.attachment, name="attachment"),
    path("t/<str:number>/print/", ticket.printable, name="ticket_print"),
    path("t/<str:number>/units/", ticket.unit_search, name="ticket_units"),
    path("t/<str:number>/<str:action>/", ticket.act, name="act"),
]

# The login pages keep their un-namespaced names (LOGIN_URL, templates use them).
auth_urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", pwa.LogoutView.as_view(), name="logout"),
]
