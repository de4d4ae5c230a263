"""The installable web app (issue 19): the service worker's script, served from the site's root.

A worker's scope cannot reach above the folder of its script, so it is served at /sw.js
rather than under /static/; the manifest itself is a static file (web/manifest.webmanifest).
"""

import hashlib
import json

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from hotline.errors import HotlineError, InvalidInput
from hotline.supervision import webpush

CACHED = ("web/app.css", "web/app.js", "web/drafts.js", "web/push.js", "vendor/htmx/htmx.min.js")


def _version() -> str:
    """Changes when a cached file does, so the worker installs anew and drops the old cache."""
    digest = hashlib.sha256()
    for name in CACHED:
        path = finders.find(name)
        if path:
            with open(path, "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()[:12]


@require_GET
@login_required
def service_worker(request):
    """The worker's script; signed-in users only (the pages register it only for them)."""
    response = render(request, "web/sw.js", {"version": _version()}, content_type="text/javascript")
    # Browsers check the worker for updates on each visit; no cache keeps an old one alive.
    response["Cache-Control"] = "no-cache"
    return response


# --- Web Push subscriptions (issue 19) ------------------------------------------------------

# The endpoint of this session's device: signing out forgets that device's subscription even
# when the page's script could not (closed tab, no network, script blocked).
PUSH_SESSION_KEY = "hotline_push_endpoint"


def _json_error(error: HotlineError) -> JsonResponse:
    return JsonResponse(
        error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False}
    )


def _subscription(request) -> dict:
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise InvalidInput("订阅内容不是 JSON 对象", "the body must be a JSON object", field="body")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    return {
        "endpoint": data.get("endpoint"),
        "p256dh": keys.get("p256dh"),
        "auth": keys.get("auth"),
    }


@require_POST
@login_required
def push_subscribe(request):
    """Keep this device's push subscription (the body is PushSubscription.toJSON())."""
    try:
        sub = webpush.subscribe(user=request.user, **_subscription(request))
    except HotlineError as e:
        return _json_error(e)
    request.session[PUSH_SESSION_KEY] = sub.endpoint
    return JsonResponse({"subscribed": True}, status=201)


@require_POST
@login_required
def push_unsubscribe(request):
    """Forget this device's subscription of the signed-in user."""
    try:
        endpoint = _subscription(request)["endpoint"]
    except HotlineError as e:
        return _json_error(e)
    if not isinstance(endpoint, str):
        return _json_error(InvalidInput("缺少推送地址", "endpoint is required", field="endpoint"))
    removed = webpush.unsubscribe(user=request.user, endpoint=endpoint)
    request.session.pop(PUSH_SESSION_KEY, None)
    return JsonResponse({"removed": removed})


class LogoutView(auth_views.LogoutView):
    """Django's sign-out, which also forgets the device's push subscription: a shared phone
    must not go on showing the previous user's tickets arriving."""

    def post(self, request, *args, **kwargs):
        endpoint = request.session.get(PUSH_SESSION_KEY)
        if endpoint and request.user.is_authenticated:
            webpush.unsubscribe(user=request.user, endpoint=endpoint)
        return super().post(request, *args, **kwargs)
