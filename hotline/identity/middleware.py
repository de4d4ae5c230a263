"""Session security on every signed-in request: idle timeout, the second factor where the
user's policy asks for it (or the user enrolled), and password expiry.

The policy is looked up once a minute per session, not per request. Background polling
(htmx elements marked `data-poll`, sent with X-Hotline-Poll) does not count as activity, so
an open workbench still times out. A refused htmx request gets HX-Redirect (a full page
load); an API request gets 401 in the API's error shape.
"""

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from hotline.errors import ErrorCode

from .policy import effective

SEEN = "_hl_seen"
POLICY = "_hl_policy"
# Paths that never need the second factor or a fresh password (signing in and out, public).
OPEN_PREFIXES = ("/login/", "/logout/", "/static/", "/portal/", "/open311/")
OTP_PAGES = "/account/otp/"  # where the second factor is given
ACCOUNT_PAGES = "/account/"  # where, with it, an expired password is changed


def _policy(request) -> dict:
    now = time.time()
    cached = request.session.get(POLICY)
    if cached and cached["at"] > now - 60 and cached["user"] == request.user.pk:
        return cached
    e = effective(request.user)
    cached = {
        "user": request.user.pk,
        "at": now,
        "idle": e.idle_minutes,
        "otp": e.otp_required,
        "expired": e.password_expired,
        "device": user_has_device(request.user, confirmed=True),
    }
    request.session[POLICY] = cached
    return cached


def _refuse(request, to: str, zh: str, en: str):
    if request.path.startswith("/api/"):
        body = {"code": str(ErrorCode.NOT_AUTHENTICATED), "field": None}
        return JsonResponse({**body, "message_zh": zh, "message_en": en}, status=401)
    target = f"{to}?next={quote(request.get_full_path())}"
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # Bearer-token requests carry no session: TokenAuth decides them.
        if user is None or not user.is_authenticated or request.path.startswith("/static/"):
            return self.get_response(request)
        policy = _policy(request)
        now = time.time()
        seen = request.session.get(SEEN, now)
        if now - seen > policy["idle"] * 60:
            logout(request)
            return _refuse(
                request,
                settings.LOGIN_URL,
                f"空闲超过 {policy['idle']} 分钟，请重新登录",
                "session expired after inactivity",
            )
        if not request.headers.get("X-Hotline-Poll") and (
            now - seen > 30 or SEEN not in request.session
        ):
            request.session[SEEN] = now  # at most one session write per half minute
        path = request.path
        if not path.startswith(OPEN_PREFIXES) and not path.startswith(OTP_PAGES):
            if (policy["otp"] or policy["device"]) and not user.is_verified():
                to = "identity:otp_verify" if policy["device"] else "identity:otp_setup"
                return _refuse(request, reverse(to), "请先完成双因素认证", "second factor required")
            if policy["expired"] and not path.startswith(ACCOUNT_PAGES):
                return _refuse(
                    request, reverse("identity:password"), "密码已过期，请先修改密码",
                    "password expired",
                )  # fmt: skip
        return self.get_response(request)
