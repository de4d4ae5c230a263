"""Every URL pattern of the product, read from the URL conf the same way as the anonymous
matrix, against 福州's data (tests/security/scope_world.py builds one object of every kind):

- another city: each of 厦门's people (one per role) is refused every 福州 object a URL names
  (404, 403 or 405, or a redirect to a login page) and changes nothing by POSTing to it; the
  pages without a parameter (lists, boards, exports, reports) never show 福州's citizen;
- no role: a signed-in active user with no membership is refused everywhere, but for the few
  pages that only need a sign-in (SIGNED_IN_ONLY), which show nothing of 福州 either;
- completeness: a parameter with no builder here and no reason in EXEMPT fails the run, so a
  new endpoint cannot arrive without its scope test.
"""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings

from hotline.orgs.models import User
from tests.conftest import build_province

from . import scope_probe, scope_world
from .test_anonymous_matrix import PUBLIC, ROUTES, _concrete

# 401 comes from the endpoints of connected systems (a signature, never a session).
REFUSALS = {401, 403, 404, 405}
LOGIN = re.compile(r"^/(admin/)?login/")
PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")

# (route prefix, parameter) → the 福州 value it takes; the longest matching prefix wins.
BUILDERS = {
    ("analytics/warnings/", "pk"): lambda w: w.warning.pk,
    ("api/v1/calls/", "call_id"): lambda w: w.call.pk,
    ("api/v1/calls/callbacks/", "item_id"): lambda w: w.callback_item.pk,
    ("api/v1/exchange/police/demands/", "police_ref"): lambda w: w.police_demand.police_ref,
    ("api/v1/exchange/police/handovers/", "reference"): lambda w: w.police_link.reference,
    ("api/v1/exchange/police/tickets/", "number"): lambda w: w.ticket.number,
    ("api/v1/incidents/", "incident_id"): lambda w: w.incident.pk,
    ("api/v1/incidents/scripts/", "script_id"): lambda w: w.script.pk,
    ("api/v1/knowledge/articles/", "article_id"): lambda w: w.article.pk,
    ("api/v1/overflow/calls/", "call_id"): lambda w: w.call.pk,
    ("api/v1/overflow/", "center"): lambda w: "fz",
    ("api/v1/quality/items/", "item_id"): lambda w: w.sample_item.pk,
    ("api/v1/screening/tickets/", "number"): lambda w: w.ticket.number,
    ("api/v1/staffing/", "center"): lambda w: "fz",
    ("api/v1/supervision/bulletins/", "bulletin_id"): lambda w: w.bulletin.pk,
    ("api/v1/supervision/field-checks/", "check_id"): lambda w: w.field_check.pk,
    ("api/v1/supervision/items/", "item_id"): lambda w: w.supervision_item.pk,
    ("api/v1/tickets/", "number"): lambda w: w.ticket.number,
    ("api/v1/tickets/", "attachment_id"): lambda w: w.attachment.pk,
    ("api/v1/topics/", "topic_id"): lambda w: w.topic.pk,
    ("api/v1/urgent-reports/", "report_id"): lambda w: w.report.pk,
    ("audit/reveal/", "number"): lambda w: w.ticket.number,
    ("audit/exports/", "pk"): lambda w: w.export_request.pk,
    ("callback/", "number"): lambda w: w.ticket.number,
    ("calls/callbacks/", "item_id"): lambda w: w.callback_item.pk,
    ("evaluation/scorecards/", "unit_code"): lambda w: "fz_housing",
    ("exchange/police/t/", "number"): lambda w: w.ticket.number,
    ("evaluation/scorecards/", "figure"): lambda w: "ack_ontime",
    ("import/", "pk"): lambda w: w.import_job.pk,
    ("incidents/", "pk"): lambda w: w.incident.pk,
    ("incidents/", "script_id"): lambda w: w.script.pk,
    ("incidents/reports/", "pk"): lambda w: w.report.pk,
    ("quality/items/", "item_id"): lambda w: w.sample_item.pk,
    ("reports/", "code"): lambda w: "350100",
    ("reports/", "kind"): lambda w: "monthly",
    ("reports/", "key"): lambda w: "2026-11",
    ("reports/", "fmt"): lambda w: "html",
    ("review/", "number"): lambda w: w.ticket.number,
    ("supervision/bulletins/", "bulletin_id"): lambda w: w.bulletin.pk,
    ("supervision/bulletins/", "action"): lambda w: "submit",
    ("supervision/field-check-photos/", "photo_id"): lambda w: w.check_photo.pk,
    ("supervision/field-checks/", "check_id"): lambda w: w.field_check.pk,
    ("supervision/field-checks/", "action"): lambda w: "supervise",
    ("t/", "number"): lambda w: w.ticket.number,
    ("t/", "action"): lambda w: "supervise",
    ("t/", "file_id"): lambda w: w.attachment.pk,
    ("topics/", "topic_id"): lambda w: w.topic.pk,
}

# Routes whose parameters need no 福州 builder, each with the reason.
EXEMPT = {
    # Django admin: staff only (is_staff), and no person of the province is staff; every
    # non-staff user is sent to the admin login (the anonymous matrix, and the no-role
    # matrix below with the anonymous matrix's literal ids).
    r"^admin/": "staff-only Django admin",
    # The API's catch-all answers 404 to any path the API does not know.
    r"^\^api/": "API catch-all 404",
}

# Routes another city may read on purpose (GET and the listed POSTs), with the reason.
BY_DESIGN = {
    # Knowledge articles are public guidance read province-wide (hotline/knowledge/permissions
    # .py); recording a use of a live article is part of reading it. Editing stays refused.
    "api/v1/knowledge/articles/<article_id>": {"GET"},
    "api/v1/knowledge/articles/<article_id>/uses": {"GET", "POST"},
}

# Pages that only need a sign-in: a user without any role still reaches them, and they must
# not show 福州's data. Everything else refuses that user.
SIGNED_IN_ONLY = {
    "",  # the home page sends each person to their workbench; with no role, to an empty one
    "nav/",  # the navigation counters, zero for no role
    "switch/",  # choosing among one's own memberships
    "api/v1/notifications",  # one's own notifications
    "api/v1/notifications/unread-count",
    "api/v1/notifications/read",
    "supervision/notifications/",
    "supervision/notifications/read/",
    "supervision/bell/",
    "sw.js",  # the service worker's code: static files only, no data of anyone
    # Web Push: one's own device's subscription; a push is sent only for tickets in scope.
    "push/subscribe/",
    "push/unsubscribe/",
}

# Routes that name a 福州 object in their query instead of their path (the event stream never
# ends once open, so it is only asked for 福州's center, which must be refused at once).
BY_QUERY = {
    "realtime/stream/": lambda w: {"topic": f"center:{w.ticket.center_id}"},
}

# The required query parameters of the API's lists, 福州's where one names a place or a person.
QUERY = {
    "number": scope_world.PHONE,
    "phone": scope_world.PHONE,
    "q": scope_world.PHONE,
    "center": "fz",
    "period": "2026-11",
    "month": "2026-11",
    "day_from": "2026-11-01",
    "day_to": "2026-11-30",
    "since": "2026-01-01T00:00:00+08:00",
}

# Lists that answer a user with no role 200 and nothing in them (filtered to an empty scope,
# as rule 2 filters any list) rather than refusing; they are checked to show nothing of 福州.
# A refusal (403) for a user without any membership would be plainer: reported in issue 18.
EMPTY_FOR_NO_ROLE = {
    "api/v1/calls",
    "api/v1/calls/agent/me",
    "api/v1/calls/callbacks/queue",
    "api/v1/calls/figures",
    "api/v1/calls/history",
    "api/v1/evaluation/center-calls",
    "api/v1/evaluation/scorecards",
    "api/v1/exchange/events",
    "api/v1/exchange/export",
    "api/v1/exchange/police/board",
    "api/v1/incidents",
    "api/v1/knowledge/search",
    "api/v1/quality/items",
    "api/v1/quality/me",
    "api/v1/quality/monthly",
    "api/v1/screening/repeats",
    "api/v1/screening/risk-board",
    "api/v1/supervision/bulletins",
    "api/v1/supervision/field-checks",
    "api/v1/supervision/items",
    "api/v1/tickets",
    "api/v1/topics",
    "api/v1/urgent-reports",
    "incidents/banner/",
    "supervision/ledger.xlsx",
    "supervision/ledger/",
}

# A form that would carry most of the pages' actions through, were the check missing.
FORM = {
    "reason": "越权测试：跨市操作",
    "body": "越权测试内容，长度足够通过校验的答复正文。",
    "note": "越权测试",
    "comment": "越权测试",
    "action": "run",
    "what": "越权测试事件",
    "place": "越权测试地点",
    "people": "1",
    "status": "done",
    "state": "ready",
}


def _params(route: str) -> list[str]:
    return [a or b for a, b in PARAM.findall(route)]


def _exempt(route: str) -> bool:
    return any(re.match(pattern, route) for pattern in EXEMPT)


def _builder(route: str, param: str):
    found = [(len(pre), fn) for (pre, name), fn in BUILDERS.items()
             if name == param and route.startswith(pre)]  # fmt: skip
    return max(found, key=lambda x: x[0])[1] if found else None


def _url(route: str, w) -> str:
    def value(m):
        return str(_builder(route, m[1] or m[2])(w))

    return "/" + PARAM.sub(value, route).replace("^", "").replace("$", "").replace("\\", "")


PROTECTED = [r for r in ROUTES if not PUBLIC.match(r)]
NAMED = [r for r in PROTECTED if _params(r) and not _exempt(r)]
UNNAMED = [r for r in PROTECTED if not _params(r) and not _exempt(r)]


def test_every_parameter_has_a_builder_or_a_reason():
    missing = [
        f"{route} <{param}>"
        for route in PROTECTED
        if not _exempt(route)
        for param in _params(route)
        if _builder(route, param) is None
    ]
    assert not missing, (
        "these URL parameters have no 福州 object in the scope matrix: add a builder to "
        "BUILDERS in tests/security/test_scope_matrix.py (and the object to scope_world.py), "
        "or a commented reason to EXEMPT:\n  " + "\n  ".join(missing)
    )
    assert len(NAMED) > 60 and len(UNNAMED) > 60


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """福州's objects, built once for the module inside a transaction rolled back at its end;
    each test runs in a savepoint of it."""
    tmp = tmp_path_factory.mktemp("scope")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp), transaction.atomic():
        w = scope_world.build(build_province(), tmp)
        w.openapi = json.loads(Client().get("/api/v1/openapi.json").content)
        yield w
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _matrix_settings(settings):
    # Hundreds of calls from one address in a minute: the budgets have their own tests
    # (tests/audit/test_rate_limits.py) and would answer 429 here before any scope check.
    settings.API_RATE_PER_ADDRESS = settings.API_RATE_PER_TOKEN = "off"


def _client(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def _refused(response) -> bool:
    if response.status_code == 302:
        return bool(LOGIN.match(response.url))
    return response.status_code in REFUSALS


def _query(route: str, w) -> dict:
    """The required query parameters of an API GET (the rest of the routes take none)."""
    if not route.startswith("api/"):
        return {}
    operation = w.openapi["paths"].get(scope_probe.openapi_path(route), {}).get("get") or {}
    return {
        p["name"]: QUERY.get(p["name"], "x")
        for p in operation.get("parameters", [])
        if p.get("required") and p["in"] == "query"
    }


def _post(client, route: str, url: str, w):
    if route.startswith("api/"):
        kind, body = scope_probe.api_body(w.openapi, route)
        if kind == "json":
            return client.post(url, json.dumps(body), content_type="application/json")
        if kind == "multipart":
            photo = SimpleUploadedFile("p.png", scope_probe.PNG, content_type="image/png")
            return client.post(url, {"file": photo})
        return client.post(url, "{}", content_type="application/json")
    photo = SimpleUploadedFile("p.png", scope_probe.PNG, content_type="image/png")
    return client.post(url, {**FORM, "file": photo})


def _why(response) -> str:
    exc = getattr(response, "exc_info", None)
    return f"{response.status_code} {exc[1]!r}" if exc else str(response.status_code)


def _leaks(response, w) -> list[str]:
    text = scope_probe.shown_text(response)
    return [m for m in w.markers if m in text]


class Findings:
    """Failures collected over the whole walk, asserted once with every route named."""

    def __init__(self, w):
        self.w = w
        self.lines: list[str] = []
        self.baseline = scope_probe.fingerprint()

    def refused(self, method, route, url, response):
        if not _refused(response):
            self.lines.append(f"{method} {url} ({route}): {_why(response)}, expected a refusal")

    def unchanged(self, route, url, response):
        """A POST not refused must not have changed any table."""
        if _refused(response):
            return
        after = scope_probe.fingerprint()
        tables = scope_probe.changed(self.baseline, after)
        self.baseline = after
        if tables:
            self.lines.append(f"POST {url} ({route}): {_why(response)} changed {tables}")

    def hidden(self, route, url, response, echoed=None):
        leaked = [m for m in _leaks(response, self.w) if m != echoed]
        if leaked:
            self.lines.append(f"GET {url} ({route}): {response.status_code} shows {leaked}")

    def check(self):
        assert not self.lines, f"{len(self.lines)} scope failures:\n" + "\n".join(self.lines)


@pytest.mark.django_db
@pytest.mark.parametrize("username", scope_world.XM_USERS)
def test_another_city_is_refused_every_fuzhou_object(world, username):
    user = User.objects.get(username=username)
    client, found = _client(user), Findings(world)
    for route in NAMED:
        url, allowed = _url(route, world), BY_DESIGN.get(route, set())
        response = client.get(url)
        if "GET" not in allowed:
            found.refused("GET", route, url, response)
        response = _post(client, route, url, world)
        if "POST" in allowed:
            found.baseline = scope_probe.fingerprint()  # what it changed was allowed
        else:
            found.unchanged(route, url, response)
    for route, query in BY_QUERY.items():
        found.refused(
            "GET", route, f"/{route}?{query(world)}", client.get(f"/{route}", query(world))
        )
    found.check()


@pytest.mark.django_db
@pytest.mark.parametrize("username", scope_world.XM_USERS)
def test_another_citys_lists_do_not_show_fuzhous_citizen(world, username):
    user = User.objects.get(username=username)
    client, found = _client(user), Findings(world)
    # The lists are also searched by the citizen's phone (a page may echo what was searched,
    # so that search is checked for the other marks).
    for route in UNNAMED:
        if route in BY_QUERY:
            continue
        url, query = "/" + route, _query(route, world)
        found.hidden(route, url, client.get(url, query), echoed=scope_world.PHONE)
        searched = client.get(url, {**query, "q": scope_world.PHONE, "phone": scope_world.PHONE,
                                    "number": scope_world.PHONE})  # fmt: skip
        found.hidden(route, url + "?phone", searched, echoed=scope_world.PHONE)
    found.check()


@pytest.mark.django_db
def test_a_user_without_a_role_is_refused_everywhere(world):
    user = User.objects.get(username="nobody")
    client, found = _client(user), Findings(world)
    for route in PROTECTED:
        url = _concrete(route) if _exempt(route) else _url(route, world)
        query = BY_QUERY[route](world) if route in BY_QUERY else _query(route, world)
        response = client.get(url, query)
        if route in SIGNED_IN_ONLY or route in EMPTY_FOR_NO_ROLE:
            found.hidden(route, url, response, echoed=scope_world.PHONE)
        else:
            found.refused("GET", route, url, response)
        found.unchanged(route, url, _post(client, route, url, world))
    found.check()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "route"),
    [
        ("fz_agent", "t/<str:number>/"),
        ("fz_agent", "api/v1/tickets/<number>"),
        ("fz_agent", "t/<str:number>/files/<int:file_id>/"),
        ("fz_supervisor", "api/v1/calls/<int:call_id>"),
        ("fz_agent", "calls/callbacks/"),
        ("fz_admin", "incidents/<int:pk>/"),
        ("fz_admin", "api/v1/incidents/<int:incident_id>/scripts"),
        ("fz_agent", "api/v1/urgent-reports/<int:report_id>"),
        ("fz_supervisor", "api/v1/supervision/items/<item_id>"),
        ("fz_supervisor", "topics/<int:topic_id>/"),
        ("fz_reviewer", "quality/items/<int:item_id>/"),
        ("fz_supervisor", "analytics/warnings/<int:pk>/"),
        ("fz_admin", "import/<int:pk>/"),
        ("fz_dispatcher", "audit/exports/<int:pk>/progress/"),
        ("fz_supervisor", "supervision/field-checks/<int:check_id>/"),
        ("fz_supervisor", "supervision/field-check-photos/<int:photo_id>/"),
        ("fz_supervisor", "supervision/bulletins/<int:bulletin_id>/"),
        ("fz_dispatcher", "api/v1/exchange/police/board"),
        ("fz_supervisor", "supervise/"),
    ],
)
def test_fuzhous_own_people_reach_what_the_matrix_names(world, username, route):
    # The control: the ids the matrix uses are real, and the markers it looks for are shown
    # to those who may see them, so a refusal above is the scope's and not a wrong id's.
    user = User.objects.get(username=username)
    response = _client(user).get(_url(route, world))
    assert response.status_code == 200, (route, _why(response))
