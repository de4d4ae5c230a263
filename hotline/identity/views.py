"""Pages of one's own account: the second factor (enrol by QR code, verify at sign-in,
recovery codes) and the password change that expiry leads to."""

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from hotline.errors import InvalidInput

from . import services
from .middleware import POLICY


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    ok = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if ok else "/"


def _qr_svg(text: str) -> str:
    """The QR code as inline SVG (no image request, no third-party service)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def otp_setup(request):
    error = None
    if request.method == "POST":
        try:
            device, codes = services.confirm_enrolment(
                user=request.user, token=request.POST.get("token", "")
            )
        except InvalidInput as e:
            error = e.message_zh
        else:
            django_otp.login(request, device)
            request.session.pop(POLICY, None)
            context = {"codes": codes, "next": _next(request)}
            return render(request, "identity/recovery_codes.html", context)
    device = services.start_enrolment(user=request.user)
    return render(request, "identity/otp_setup.html", {
        "qr": mark_safe(_qr_svg(device.config_url)),
        "secret": device.config_url.split("secret=")[1].split("&")[0],
        "error": error,
        "next": _next(request),
        "enrolled": request.user.totpdevice_set.filter(confirmed=True).exists(),
    })  # fmt: skip


@login_required
def otp_verify(request):
    error = None
    if request.method == "POST":
        device = django_otp.match_token(request.user, request.POST.get("token", "").strip())
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next(request))
        error = "验证码或恢复码不正确（恢复码每个只能用一次）"
    return render(request, "identity/otp_verify.html", {"error": error, "next": _next(request)})


@require_POST
@login_required
def recovery_codes(request):
    if not request.user.is_verified():
        return redirect("identity:otp_verify")
    codes = services.new_recovery_codes(user=request.user)
    return render(request, "identity/recovery_codes.html", {"codes": codes, "next": "/"})


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "identity/password.html"
    success_url = reverse_lazy("web:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session.pop(POLICY, None)  # the expiry is judged again at once
        messages.success(self.request, "密码已修改")
        return response
