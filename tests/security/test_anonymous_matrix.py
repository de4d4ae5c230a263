"""Every URL pattern of the product, read from the URL conf (so a new endpoint is covered the
day it is added): an anonymous caller gets nothing from it but a sign-in (302 to a login
page, 401, 403, 404 or 405), unless the pattern is in PUBLIC on purpose."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Patterns anyone may use: signing in, the citizens' portal, Open311, the API's own document,
# health, CTI events (signed, not a session), the API's catch-all 404 and static files.
PUBLIC = re.compile(
    r"^(login/|logout/|portal/|open311/|static/|api/v1/(openapi\.json|docs|health|cti/events)"
    r"|\^api/|admin/(login|logout|jsi18n)|account/otp/|account/password/)"
)
REFUSALS = {401, 403, 404, 405}


def _walk(resolvers, prefix=""):
    for entry in resolvers:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


def _concrete(route: str) -> str:
    """A URL matching the pattern: ids 1, strings x, and the regex routes' own groups."""
    url = re.sub(r"<int:\w+>", "1", route)
    url = re.sub(r"<(?:str|slug|path):\w+>|<\w+>", "x", url)
    url = re.sub(r"\(\?P<\w+>\\d\{6,12\}\)", "350100", url)
    url = re.sub(r"\(\?P<kind>[^)]*\)", "monthly", url)
    url = re.sub(r"\(\?P<key>[^)]*\)", "2026-10", url)
    url = re.sub(r"\(\?P<fmt>[^)]*\)", "html", url)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url)
    return "/" + url.replace("^", "").replace("$", "").replace("\\", "")


ROUTES = sorted(set(_walk(get_resolver().url_patterns)))
PROTECTED = [r for r in ROUTES if not PUBLIC.match(r)]


def test_the_url_conf_is_read_whole():
    assert len(ROUTES) > 150
    assert len(PROTECTED) > 120


@pytest.mark.parametrize("route", PROTECTED)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_caller_is_refused(client, province, route, method):
    url = _concrete(route)
    response = getattr(client, method)(url)
    if response.status_code == 302:
        assert re.match(r"^/(admin/)?login/", response.url), (url, response.url)
    else:
        assert response.status_code in REFUSALS, (url, response.status_code)
