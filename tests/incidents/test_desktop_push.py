"""The 口径 reaches the agents' desktops end to end: a real ASGI server, each desktop's stream
opened exactly as the desk page's banner opens it, the manager approving on the incident page.
Nothing is timed: a stream is read until the event it must (or must not) carry."""

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import transaction
from django.test import Client

from hotline import realtime
from hotline.incidents import services
from hotline.incidents.models import Script
from tests.realtime.server import asgi_server, open_stream, session_cookies

from .test_incidents import declare

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = "鼓楼区因主管爆裂停水，预计今晚20时恢复供水。\n送水点设在鼓东街道办。"
DRAFT = "供水已于20时恢复，如仍无水请拨打12345。"


def desk_stream(user) -> list[tuple[str, str]]:
    """The query of the stream the desk page's banner opens for `user`."""
    client = Client()
    client.force_login(user)
    page = client.get("/calls/desk/").content.decode()
    url = html.unescape(re.search(r'id="incident-banner"[^>]*data-stream="([^"]+)"', page)[1])
    assert urlsplit(url).path == "/realtime/stream/"
    return parse_qsl(urlsplit(url).query)


def as_manager(p) -> Client:
    client = Client()
    client.force_login(p.users["fz_admin"])
    return client


def sentinel(user, n: int) -> None:
    """A committed message on the agent's own topic: read after it, nothing else came."""
    with transaction.atomic():
        realtime.publish(f"agent:{user.pk}", {"kind": "sentinel", "n": n})


def test_an_approved_script_reaches_the_centers_desktops_and_no_other_citys_nor_a_draft(p):
    # given a 福州 incident, and the desktops of a 福州 agent and of a 厦门 agent open
    incident = declare(p)
    fz, xm = p.users["fz_agent"], p.users["xm_agent"]
    manager = as_manager(p)
    with (
        asgi_server() as base,
        open_stream(base, session_cookies(fz), params=desk_stream(fz)) as fz_desk,
        open_stream(base, session_cookies(xm), params=desk_stream(xm)) as xm_desk,
    ):
        # when the manager writes a draft and approves it on the incident page
        manager.post(f"/incidents/{incident.pk}/scripts/", {"body": FIRST})
        first = Script.objects.get(incident=incident, version=1)
        manager.post(f"/incidents/{incident.pk}/scripts/{first.pk}/approve/")
        # then the 福州 desktop hears the approved version with its text
        event = fz_desk.next_event()
        assert event["topic"] == f"desk:{p.units['fz'].pk}"
        assert event["data"] == {
            "kind": "incident",
            "incident_id": incident.pk,
            "name": "鼓楼区停水",
            "version": 1,
            "script_id": first.pk,
            "body": FIRST,
        }
        # and a next draft, never approved, is not pushed: the sentinel comes next
        manager.post(f"/incidents/{incident.pk}/scripts/", {"body": DRAFT})
        assert Script.objects.get(incident=incident, version=2).state == "draft"
        sentinel(fz, 1)
        assert fz_desk.next_event()["data"] == {"kind": "sentinel", "n": 1}
        # and the 厦门 desktop, outside the incident's regions, heard none of it
        sentinel(xm, 2)
        assert xm_desk.next_event()["data"] == {"kind": "sentinel", "n": 2}
    assert services.current_script(incident).body == FIRST
