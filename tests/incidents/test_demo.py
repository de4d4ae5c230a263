"""The demo's water cut (`hotline demo`): declared, its 口径 approved, its demands marked."""

from hotline.incidents import board
from hotline.incidents import demo as incidents_demo
from hotline.incidents.models import Incident, IncidentState, IncidentTicket
from hotline.incidents.services import current_script
from hotline.orgs.models import User
from hotline.tickets import demo


def test_the_demo_incident_is_under_way_with_its_口径_and_demands(db, client):
    demo.build(tickets=0, password="demo-pass-123")
    incident = incidents_demo.load()
    assert incidents_demo.load() is None  # once
    assert Incident.objects.get() == incident
    assert incident.state == IncidentState.ACTIVE
    assert current_script(incident).body == incidents_demo.SCRIPT
    marks = IncidentTicket.objects.filter(incident=incident)
    assert marks.count() == len(incidents_demo.DEMANDS)
    assert marks.filter(at_intake=True).count() == sum(d[2] for d in incidents_demo.DEMANDS)
    words = {q["word"] for q in board.snapshot(incident)["uncovered"]}
    assert {"热水器", "水费"} <= words
    assert not words & {"停水", "没水", "送水点"}  # the keywords and the 口径's own words
    # The agents of 福州 see the surge it is: its page names the approved 口径.
    client.force_login(User.objects.get(username="fz_agent"))
    assert incidents_demo.SCRIPT[:20] in client.get(f"/incidents/{incident.pk}/").content.decode()
