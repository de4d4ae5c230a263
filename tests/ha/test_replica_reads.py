"""Which server answers: a standby of the Patroni cluster is configured as the read replica.

The dashboard's reads (inside `stale_reads()`) go to the standby; a registration (the
lifecycle) and the ticket it made (the workbench's read) never do, not even when called from
inside a stale-read block; past the lag limit the dashboard falls back to the primary. Run in
a `hotline shell` against the cluster, so the connections are the real ones: the replica
alias's server says it is in recovery."""

import json

from tests.faults.cluster import hotline
from tests.faults.test_outage import _demand

SCRIPT = """
import json
from django.conf import settings
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hotline import dbrouter
from hotline.orgs.models import User
from hotline.tickets import lifecycle
from hotline.tickets.registration import RegisterInput

def tables(queries):
    return sorted({t for q in queries for t in ("tickets_ticket", "tickets_ticketevent")
                   if t in q["sql"]})

def run(fn):
    with CaptureQueriesContext(connections["default"]) as d, \\
            CaptureQueriesContext(connections["replica"]) as r:
        status = fn()
    return {"status": status, "primary": tables(d.captured_queries),
            "replica": tables(r.captured_queries)}

with connections["replica"].cursor() as c:
    c.execute("SELECT pg_is_in_recovery()")
    standby = c.fetchone()[0]
agent = User.objects.get(username="fz_agent")
client = Client()
client.force_login(agent)
out = {"standby": standby}
out["register"] = run(lambda: client.post(
    "/api/v1/tickets", DEMAND, content_type="application/json").status_code)
out["workbench"] = run(lambda: client.get("/api/v1/tickets").status_code)
def lifecycle_inside_block():
    with dbrouter.stale_reads():
        DEMAND2 = dict(DEMAND, external_ref=DEMAND["external_ref"] + "-b")
        t, _ = lifecycle.register(by=agent, data=RegisterInput(**DEMAND2))
        return t.status
out["lifecycle_in_block"] = run(lifecycle_inside_block)
out["dashboard"] = run(lambda: client.get("/api/v1/dashboard/today?region=350100").status_code)
admin = User.objects.create_superuser("ha_admin", password="unused-Passw0rd!")
staff = Client()
staff.force_login(admin)
page = staff.get("/admin/").content.decode()
out["admin_page"] = "复制延迟" in page and "报表类读取走副本" in page
settings.HOTLINE_REPLICA_LAG_LIMIT_SECONDS = -1.0
dbrouter.forget_lag()
out["dashboard_lagging"] = run(
    lambda: client.get("/api/v1/dashboard/today?region=350100").status_code)
print("RESULT " + json.dumps(out))
"""


def test_stale_reads_go_to_the_standby_and_lifecycle_reads_never_do(ha, served):
    # given: the standby of the cluster configured as the read replica
    standby = ha.replicas()[0]
    env = {
        "HOTLINE_VAR_DIR": str(served.var),
        "HOTLINE_REPLICA_DATABASE_URL": ha.member_url(standby),
        "HOTLINE_REPLICA_LAG_CHECK": "0",
    }
    demand = _demand("replica-1")
    script = f"DEMAND = {demand!r}\n" + SCRIPT

    # when: a registration, a workbench read, a registration inside a stale-read block, the
    # dashboard, and the dashboard again with the replica past the lag limit
    out = hotline(served.url, "shell", "-c", script, env=env)
    result = json.loads(out.split("RESULT ", 1)[1])

    # then
    assert result["standby"] is True
    assert result["admin_page"] is True
    assert result["register"] == {"status": 201, "primary": ["tickets_ticket",
                                  "tickets_ticketevent"], "replica": []}  # fmt: skip
    assert result["workbench"]["status"] == 200
    assert result["workbench"]["replica"] == []
    assert result["lifecycle_in_block"]["replica"] == []
    assert "tickets_ticket" in result["lifecycle_in_block"]["primary"]
    assert result["dashboard"] == {"status": 200, "primary": [], "replica": ["tickets_ticket"]}
    assert result["dashboard_lagging"] == {"status": 200, "primary": ["tickets_ticket"],
                                           "replica": []}  # fmt: skip
