"""PostgreSQL crashes under the served product: 503 with Retry-After and the JSON error body
(a Chinese page for pages), recovery after the restart, and a retried registration that never
makes a second ticket. Runs on a throwaway cluster (tests/faults/cluster.py), whatever database
the rest of the suite uses."""

import re
import time

import httpx
import psycopg

from hotline import health
from hotline.tickets.demo import DEMO_PASSWORD


def _demand(ref: str) -> dict:
    return {
        "channel": "phone",
        "appeal_type": "complaint",
        "title": "小区电梯故障停运",
        "content": "鼓楼区某小区3号楼电梯停运两周，物业不修，老人上下楼困难。",
        "citizen_phone": "13800000001",
        "region": "350102",
        "external_ref": ref,
    }


def _rows(url: str, ref: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT number FROM tickets_ticket WHERE external_ref = %s", [ref]
        ).fetchall()
    return [r[0] for r in rows]


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = client.post(
        "/login/",
        data={"username": "fz_agent", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/login/"},
    )
    assert done.status_code == 302
    return client


def _until_answered(call, tries=50):
    """The first answer that is not a 503 (a connection from before the crash may fail
    once after the restart: it is dropped, and the next request opens a new one)."""
    for _ in range(tries):
        response = call()
        if response.status_code != 503:
            return response
        time.sleep(0.2)
    return response


def test_an_outage_answers_503_and_the_retry_makes_one_ticket(cluster, served):
    # given: the product serves, a ticket is registered, a user is signed in
    api = httpx.Client(
        base_url=served.base, timeout=10, headers={"Authorization": f"Bearer {served.key}"}
    )
    before = api.post("/api/v1/tickets", json=_demand("outage-before"))
    assert before.status_code == 201
    page_user = _signed_in(served.base)
    assert page_user.get("/").status_code == 200

    # when: PostgreSQL crashes (immediate stop, as a killed server)
    cluster.crash()
    try:
        during = api.post("/api/v1/tickets", json=_demand("outage-during"))
        listing = api.get("/api/v1/tickets")
        probe = httpx.get(f"{served.base}/api/v1/health", timeout=10)
        page = page_user.get("/")
    finally:
        cluster.start()

    # then: every answer during the outage is a 503 with Retry-After, JSON for the API
    body = {
        "code": "unavailable",
        "field": None,
        "message_zh": health.UNAVAILABLE_ZH,
        "message_en": health.UNAVAILABLE_EN,
    }
    assert (during.status_code, during.headers["Retry-After"], during.json()) == (503, "5", body)
    assert (listing.status_code, listing.headers["Retry-After"], listing.json()) == (503, "5", body)
    assert probe.status_code == 503
    assert probe.headers["Retry-After"] == "5"
    assert probe.json()["status"] == "down"
    assert set(probe.json()) == {"status", "checked_at"}  # anonymous: the status alone
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "系统暂时不可用" in page.text
    # and after the restart: the retry registers the demand once, a second retry finds it
    retried = _until_answered(lambda: api.post("/api/v1/tickets", json=_demand("outage-during")))
    # (the other worker's connection from before the crash may answer its one 503 here)
    again = _until_answered(lambda: api.post("/api/v1/tickets", json=_demand("outage-during")))
    assert retried.status_code == 201
    assert again.status_code == 200, (again.status_code, again.text[:300])
    assert again.json()["number"] == retried.json()["number"]
    assert _rows(served.url, "outage-during") == [retried.json()["number"]]
    assert _rows(served.url, "outage-before") == [before.json()["number"]]
    assert _until_answered(lambda: page_user.get("/")).status_code == 200
    recovered = _until_answered(lambda: httpx.get(f"{served.base}/api/v1/health", timeout=10))
    assert recovered.status_code == 200
    assert recovered.json()["status"] == "degraded"  # no background worker runs here
