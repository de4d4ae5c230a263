from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from hotline import health
from hotline.api import api
from hotline.portal.urls import import_urlpatterns
from hotline.web.urls import auth_urlpatterns


@csrf_exempt  # an unknown API path is 404 in JSON for any method, never Django's CSRF page
def api_not_found(request, rest=""):
    """Unknown API paths answer in the API's error shape, not with an HTML page."""
    return JsonResponse(
        {
            "code": "not_found",
            "field": None,
            "message_zh": "接口不存在",
            "message_en": f"no API endpoint at {request.path}",
        },
        status=404,
    )


# An unreachable database is a 503 with Retry-After, not a 500 (hotline/health.py).
handler500 = health.server_error

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("hotline.open311.urls")),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("", include(auth_urlpatterns)),
    path("account/", include("hotline.identity.urls")),
    path("realtime/", include("hotline.realtime.urls")),
    path("calls/", include("hotline.calls.urls")),
    path("supervision/", include("hotline.supervision.urls")),
    path("evaluation/", include("hotline.evaluation.urls")),
    path("analytics/", include("hotline.analytics.urls")),
    path("reports/", include("hotline.reports.urls")),
    path("quality/", include("hotline.quality.urls")),
    path("incidents/", include("hotline.incidents.urls")),
    path("topics/", include("hotline.topics.urls")),
    path("exchange/", include("hotline.exchange.urls")),
    path("portal/", include("hotline.portal.urls")),
    path("audit/", include("hotline.audit.urls")),
    path("import/", include((import_urlpatterns, "portal_import"))),
    path("", include("hotline.web.urls")),
]
