"""Accessibility: axe-core (npm, node_modules/axe-core, never a CDN) on every page of every role.

The page list is checked against the URL conf: every route is either a page opened below by a
named role, or listed as something else (a fragment htmx swaps in, a POST action, a download)
with the reason. A new route fails `test_every_route_is_a_checked_page_or_said_why` until it is
placed, so no page escapes the check. A page must show 0 serious or critical violations.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from hotline.tickets.models import Status
from tests.security.test_anonymous_matrix import ROUTES
from tests.tickets.factory import ticket_at

from .journeys import settled, without_stream

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# Not the workbench's pages: the API and its documents, Django's admin, Open311, static files.
ELSEWHERE = re.compile(r"^(api/|\^api/|admin/|open311/|static/)")

# route → who opens it. "{ticket}" is replaced by a ticket the role may see.
PAGES = {
    "": "fz_agent",
    "login/": None,  # anonymous
    "portal/": None,
    "account/password/": "fz_agent",
    "account/otp/": "fz_agent",
    "intake/": "fz_agent",
    "calls/desk/": "fz_agent",
    "calls/callbacks/": "fz_callback",
    "quality/": "fz_agent",
    "quality/monthly/": "fz_supervisor",
    "incidents/": "admin",
    "incidents/reports/": "fz_dispatcher",
    "incidents/staffing/": "fz_supervisor",
    "dispatch/": "fz_dispatcher",
    "inbox/": "gl_housing_handler",
    "approvals/": "fz_housing_leader",
    "review/": "fz_reviewer",
    "callback/": "fz_callback",
    "supervise/": "fz_supervisor",
    "supervision/ledger/": "fz_supervisor",
    "supervision/notifications/": "fz_supervisor",
    "supervision/field-checks/": "fz_supervisor",
    "supervision/bulletins/": "fz_supervisor",
    "evaluation/scorecards/": "fz_housing_leader",
    "evaluation/accountability/": "fz_supervisor",
    "reports/": "fz_analyst",
    "reports/dashboard/": "fz_supervisor",
    "analytics/warnings/": "fz_analyst",
    "analytics/topics/": "fz_analyst",
    "calls/wallboard/": "fz_supervisor",
    "topics/": "fz_supervisor",
    "exchange/police/": "fz_dispatcher",
    "audit/exports/": "fz_dispatcher",
    "audit/exports/queue/": "fz_housing_leader",
    "t/<str:number>/": "gl_housing_handler",
    "t/<str:number>/print/": "gl_housing_handler",
}
# The ticket page is opened by every role that works on tickets, each seeing its own actions.
TICKET_ROLES = [
    "fz_agent",
    "fz_dispatcher",
    "fz_reviewer",
    "fz_callback",
    "fz_supervisor",
    "fz_housing_leader",
]

# Routes that are not pages of their own, and why.
NOT_PAGES = {
    "account/otp/recovery-codes/": "shown once after setting up the one-time codes (POST)",
    "account/otp/verify/": "the second step of signing in, only after a password",
    "logout/": "POST only",
    "exchange/police/t/<str:number>/handover/": "POST only (a form of the ticket page)",
    "switch/": "POST only",
    "sw.js": "the service worker's script (JavaScript)",
    "push/subscribe/": "POST only (JSON from web/push.js)",
    "push/unsubscribe/": "POST only (JSON from web/push.js)",
    "t/<str:number>/units/": "fragment of the dispatch form (the unit finder's options)",
    "nav/": "the navigation counters, swapped into every page",
    "intake/categories/": "fragment of the intake form",
    "intake/history/": "fragment of the intake form",
    "intake/kb/": "fragment of the intake form",
    "intake/regions/": "fragment of the intake form",
    "intake/regions/search/": "fragment of the intake form",
    "intake/suggest/": "fragment of the intake form",
    "dispatch/accept/": "POST only",
    "dispatch/bulk/": "POST only",
    "review/<str:number>/": "POST only (a review card of the review page)",
    "callback/<str:number>/": "POST only (a card of the callback page)",
    "supervise/export.xlsx": "an Excel download",
    "inbox/export.xlsx": "an Excel download",
    "audit/reveal/<str:number>/": "POST only (a form of the ticket page)",
    "audit/access-log/export/": "a download of the access log",
    "audit/exports/<int:pk>/progress/": "fragment: an export's state and progress",
    "audit/exports/<int:pk>/download/": "POST only (the one download of an export)",
    "audit/exports/<int:pk>/approve/": "POST only (a form of the approvers' queue)",
    "audit/exports/<int:pk>/refuse/": "POST only (a form of the approvers' queue)",
    "t/<str:number>/<str:action>/": "POST only",
    "t/<str:number>/files/<int:file_id>/": "a file download",
    "realtime/stream/": "the Server-Sent Events stream",
    "calls/callbacks/<int:item_id>/dial/": "POST only",
    "calls/callbacks/<int:item_id>/outcome/": "POST only",
    "calls/callbacks/<int:item_id>/take/": "POST only",
    "calls/desk/follow-up/": "POST only",
    "calls/desk/pop/": "fragment of the agent's desk (screen pop)",
    "calls/desk/sign-in/": "POST only",
    "calls/desk/sign-out/": "POST only",
    "calls/desk/state-panel/": "fragment of the agent's desk",
    "calls/desk/state/": "POST only",
    "calls/dial/ticket/": "POST only",
    "calls/wallboard/data/": "JSON of the wallboard",
    "evaluation/accountability.docx": "a Word download",
    "evaluation/scorecards/<str:unit_code>/<str:figure>/": "fragment: a scorecard's drill-down",
    "import/<int:pk>/progress/": "fragment: an import's progress",
    "incidents/<int:pk>/close/": "POST only",
    "incidents/<int:pk>/enroll/": "POST only",
    "incidents/<int:pk>/group/": "POST only",
    "incidents/<int:pk>/scripts/": "POST only",
    "incidents/<int:pk>/scripts/<int:script_id>/approve/": "POST only",
    "incidents/banner/": "fragment: the incident banner of every agent page",
    "incidents/declare/": "POST only",
    "supervision/field-checks/new/": "POST only",
    "supervision/bulletins/new/": "POST only",
    "topics/new/": "POST only",
    "incidents/pool/mark/": "POST only",
    "incidents/pool/rule/": "POST only",
    "incidents/reports/<int:pk>/acknowledge/": "POST only",
    "incidents/reports/raise/": "POST only",
    "portal/follow/": "the citizen's lookup result (POST of the portal's form)",
    "portal/regions/": "fragment of the portal's form",
    "portal/submit/": "POST only",
    "quality/draw/": "POST only",
    "quality/items/<int:item_id>/appeal/": "POST only",
    "quality/items/<int:item_id>/decide/": "POST only",
    "quality/items/<int:item_id>/score/": "POST only",
    "reports/^(?P<code>\\d{6,12})/(?P<kind>monthly|quarterly)/(?P<key>[0-9Q-]{6,8})/generate$": (
        "POST only"
    ),
    "reports/^(?P<code>\\d{6,12})/(?P<kind>monthly|quarterly)/(?P<key>[0-9Q-]{6,8})"
    "\\.(?P<fmt>docx|html)$": "a report's download (Word, or the HTML for printing)",
    "supervision/bell/": "fragment: the bell of every page",
    "supervision/bulletins/<int:bulletin_id>.docx": "a Word download",
    "supervision/bulletins/<int:bulletin_id>/<str:action>/": "POST only",
    "supervision/field-check-photos/<int:photo_id>/": "a photo download",
    "supervision/field-checks/<int:check_id>/<str:action>/": "POST only",
    "supervision/ledger.xlsx": "an Excel download",
    "supervision/notifications/read/": "POST only",
    "topics/<int:topic_id>/brief.docx": "a Word download",
}
# Pages these tests cannot open yet (one record's page without the record, a role the test
# province lacks); each app's own browser test opens them. Listed so the gap stays visible.
RECORD_PAGES = {
    "analytics/warnings/<int:pk>/": "a warning raised by the nightly sweep",
    "import/<int:pk>/": "an import job",
    "incidents/temporary/": "a temporary agent's page (enrolled during an incident)",
    "incidents/pool/": "a center administrator's page: the test province has none",
    "import/": "a center administrator's page: the test province has none",
    "incidents/<int:pk>/": "a declared incident",
    "incidents/reports/<int:pk>/": "a raised emergency report",
    "quality/items/<int:item_id>/": "a drawn quality sample",
    "supervision/bulletins/<int:bulletin_id>/": "a drafted bulletin",
    "supervision/field-checks/<int:check_id>/": "a recorded field check",
    "topics/<int:topic_id>/": "a topic",
    "audit/access-log/": "the security auditor's page: the test province has no auditor yet",
    "audit/exports/settings/": (
        "a center administrator's page: the test province has none (axe runs on it in "
        "tests/browser/test_bulk_export.py)"
    ),
}


def test_every_route_is_a_checked_page_or_said_why():
    routes = {r for r in ROUTES if not ELSEWHERE.match(r)}
    placed = set(PAGES) | set(NOT_PAGES) | set(RECORD_PAGES)
    assert sorted(routes - placed) == [], "new routes: add them to PAGES or say why not"
    assert sorted(placed - routes) == [], "routes that are gone"


def _by_user() -> dict:
    out: dict = {}
    for route, user in PAGES.items():
        out.setdefault(user, []).append(route)
    for user in TICKET_ROLES:
        out.setdefault(user, []).append("t/<str:number>/")
    return out


BY_USER = _by_user()
SERIOUS = """async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(" "))}));
}"""


def violations(page) -> list:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(SERIOUS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("username", list(BY_USER), ids=lambda u: u or "anonymous")
def test_no_serious_or_critical_violation_on_any_page(
    username, province, as_role, browser, live_server
):
    assert AXE.exists(), "npm ci installs axe-core (package.json)"
    lead = "fz_housing" if username == "fz_housing_leader" else "gl_housing"
    t = ticket_at(province, Status.IN_PROGRESS, lead=lead)
    if username is None:
        # bypass_csp: axe is injected as an inline script, which the pages' policy forbids.
        context = browser.new_context(locale="zh-CN", bypass_csp=True)
        page = without_stream(context.new_page())
        page.base = live_server.url
    else:
        page = without_stream(as_role(username, bypass_csp=True))
    found = {}
    for route in BY_USER[username]:
        path = "/" + route.replace("<str:number>", t.number)
        response = page.goto(page.base + path)
        assert response.status == 200, (username, path, response.status)
        settled(page)
        bad = violations(page)
        if bad:
            found[path] = bad
    if username is None:
        context.close()
    assert found == {}
