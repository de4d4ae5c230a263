"""The browser's middleware, skipped for a machine's API request.

A request to /api/ with `Authorization: Bearer …` comes from a connected system: the token
decides who it is (TokenAuth), and it has no session, CSRF cookie, flash message, second
factor, login lockout page or language choice, and its answer is JSON rather than a page that
a browser would run (nosniff from SecurityMiddleware stays). Session, authentication, OTP,
session security, CSRF, messages, locale, CSP and frame options cost such a request
about a tenth of a registration's CPU (cProfile, bench/bench_register_ratio.py) and change
nothing in its answer; throttling, the NUL guard and axes (its check wants it by name; it
only reads a flag on the way out) still run for it.

`settings.MIDDLEWARE` names `hotline.apipath.SessionMiddleware` and so on: each runs the
middleware of the same name for every other request and passes a bearer API request straight
on. `request.user` is anonymous on that path until the token is checked, so the API's session
auth (tried after a wrong token) finds nobody: a wrong token is a 401 even beside a session
cookie.
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.module_loading import import_string

PREFIX = "/api/"
HOOKS = ("process_view", "process_exception", "process_template_response")


def is_bearer_api(request) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return header[:7].lower() == "bearer " and request.path_info.startswith(PREFIX)


def unless_bearer_api(path: str, *, anonymous: bool = False):
    """A subclass of `path`'s middleware (system checks that look for it still find it) that
    passes a bearer API request straight on; `anonymous`: such a request gets
    `request.user = AnonymousUser()` (the job of the authentication middleware it skips)."""
    inner_class = import_string(path)

    def __call__(self, request):
        if is_bearer_api(request):
            if anonymous:
                request.user = AnonymousUser()
            return self.get_response(request)
        return inner_class.__call__(self, request)

    members = {"__call__": __call__, "__doc__": f"{path}, except for a bearer API request."}
    for name in HOOKS:
        if hasattr(inner_class, name):
            members[name] = _hook(inner_class, name)
    # Sync only, like the project's own middleware around it: one mode through the chain.
    members["async_capable"] = False
    members["__module__"] = __name__
    return type(inner_class.__name__, (inner_class,), members)


def _hook(inner_class, name: str):
    def hook(self, request, *args):
        if is_bearer_api(request):
            return args[-1] if name == "process_template_response" else None
        return getattr(inner_class, name)(self, request, *args)

    return hook


CSPMiddleware = unless_bearer_api("csp.middleware.CSPMiddleware")
SessionMiddleware = unless_bearer_api("django.contrib.sessions.middleware.SessionMiddleware")
LocaleMiddleware = unless_bearer_api("django.middleware.locale.LocaleMiddleware")
CsrfViewMiddleware = unless_bearer_api("django.middleware.csrf.CsrfViewMiddleware")
AuthenticationMiddleware = unless_bearer_api(
    "django.contrib.auth.middleware.AuthenticationMiddleware", anonymous=True
)
OTPMiddleware = unless_bearer_api("django_otp.middleware.OTPMiddleware")
SessionSecurityMiddleware = unless_bearer_api(
    "hotline.identity.middleware.SessionSecurityMiddleware"
)
MessageMiddleware = unless_bearer_api("django.contrib.messages.middleware.MessageMiddleware")
XFrameOptionsMiddleware = unless_bearer_api(
    "django.middleware.clickjacking.XFrameOptionsMiddleware"
)
