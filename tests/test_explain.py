"""Every query of the hot paths stays on an index once the tables are big (PostgreSQL).

The bulk loader writes tens of thousands of tickets with their histories and assignments,
ANALYZE gives the planner their real sizes, then each hot path runs as the product runs it
(the API, the unit inbox page, the deadline sweep, the screen pop's caller history) with its
queries captured; each captured SELECT is explained, and a sequential scan of a big table
(planner's estimate of 10,000 rows or more, a month's history partition included) fails the
test with the path, the query and the plan. PostgreSQL only: SQLite plans differ and are not
what production runs (with CI=true a missing PostgreSQL fails in tests/conftest.py).
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.catalog.services import load_categories
from hotline.orgs.demo import build_test_province
from hotline.orgs.models import User
from hotline.supervision.sweep import sweep_deadlines
from hotline.tickets import bulk
from hotline.tickets.models import Status, Ticket
from tests.conftest import ensure_catalog

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plans checked are PostgreSQL's"
)

TICKETS = 30_000
BIG = 10_000  # rows (planner's estimate): a table this size is never read whole on a hot path
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
SEQ_SCAN = re.compile(r"Seq Scan on (\S+)")


def _big_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'm') AND reltuples >= %s "
            "AND relnamespace = 'public'::regnamespace",
            [BIG],
        )
        return {name for (name,) in cursor.fetchall()}


def _plans(queries) -> list[tuple[str, str]]:
    found = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(f"EXPLAIN {sql}")
            found.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return found


@pytest.fixture
def loaded(db):
    ensure_catalog()
    load_categories()
    build_test_province()
    bulk.load(TICKETS, seed=11, now=NOW, days=120, workers=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return _big_tables()


def _login(client, username: str) -> User:
    user = User.objects.get(username=username)
    client.force_login(user)
    return user


def _hot_paths(client):
    """(name, a function running that path as the product does)."""
    ticket = Ticket.objects.filter(region__code__startswith="350102").order_by("-pk").first()
    phone = ticket.citizen_phone

    def get(username, path, **params):
        def run():
            _login(client, username)
            response = client.get(path, params)
            assert response.status_code == 200, (path, response.status_code)

        return run

    return [
        ("ticket list, county dispatcher", get("gl_dispatcher", "/api/v1/tickets")),
        ("ticket list, city agent", get("fz_agent", "/api/v1/tickets")),
        (
            "ticket list, county, one status",
            get("gl_dispatcher", "/api/v1/tickets", status=Status.IN_PROGRESS),
        ),
        ("a ticket and its history", get("gl_dispatcher", f"/api/v1/tickets/{ticket.number}")),
        ("its hash chain", get("gl_dispatcher", f"/api/v1/tickets/{ticket.number}/chain")),
        *[
            (f"unit inbox, {tab}", get("gl_housing_handler", "/inbox/", tab=tab))
            for tab in ("ack", "doing", "overdue", "reopened")
        ],
        ("caller history by phone", get("fz_agent", "/api/v1/calls/history", number=phone)),
        ("deadline sweep", lambda: sweep_deadlines(now=NOW)),
    ]


def test_hot_paths_read_big_tables_through_indexes(loaded, client):
    assert {"tickets_ticket", "tickets_assignment"} <= loaded  # the load made them big
    assert any(name.startswith("tickets_ticketevent_p") for name in loaded)
    # the check itself sees a scan: a search inside the demand texts reads every ticket
    control = [{"sql": "SELECT count(*) FROM tickets_ticket WHERE content LIKE '%漏水%'"}]
    assert "tickets_ticket" in SEQ_SCAN.findall(_plans(control)[0][1])
    failures, checked = [], 0
    for name, run in _hot_paths(client):
        with CaptureQueriesContext(connection) as captured:
            run()
        plans = _plans(captured.captured_queries)
        assert plans, f"{name}: no query captured"
        checked += len(plans)
        for sql, plan in plans:
            scanned = set(SEQ_SCAN.findall(plan)) & loaded
            if scanned:
                failures.append(f"{name}: Seq Scan on {sorted(scanned)}\n{sql}\n{plan}")
    assert failures == [], "\n\n".join(failures)
    assert checked >= 20  # each path's queries, not one each
    _registration_read_keeps_its_plan()


def _registration_read_keeps_its_plan():
    """Registration's read of the caller's earlier demands is prepared once per connection
    with its generic plan pinned (screening.dupindex.CALLER_PLAN): on the big table that
    plan must read tickets by an index, not walk the window."""
    from hotline.screening import dupindex
    from hotline.tickets.fastinsert import _numbered

    with connection.cursor() as cursor:
        cursor.execute(f"PREPARE caller_read AS {_numbered(dupindex._CALLER_FIRST)}")
        # SET LOCAL inside the test's transaction: put back afterwards for the tests after.
        cursor.execute(dupindex.CALLER_PLAN.rstrip("; "))
        cursor.execute("EXPLAIN EXECUTE caller_read('{abc}', '2026-08-20', '350100')")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for setting in ("enable_bitmapscan", "enable_seqscan", "plan_cache_mode"):
            cursor.execute(f"SET LOCAL {setting} TO DEFAULT")
        cursor.execute("DEALLOCATE caller_read")
    # The loader writes no signatures, so the plan may start from the (small) signature
    # table; either way the big tickets table is read by an index, never walked.
    assert re.search(r"Index Scan using \S+ on tickets_ticket k", plan), plan
    assert "Seq Scan" not in plan and "Bitmap" not in plan, plan
