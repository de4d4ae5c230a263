"""`hotline demo`: the whole demo in one command, above every app whose demo it loads."""

from django.core.management import call_command

from hotline.calls.models import Call
from hotline.incidents.models import Incident
from hotline.quality.models import Sample


def test_the_demo_command_loads_tickets_calls_an_incident_and_the_quality_sample(db, capsys):
    call_command("demo", tickets=0, password="demo-pass-123")
    out = capsys.readouterr().out
    n = Call.objects.count()
    assert n > 0
    assert f"{n} 通来电" in out
    assert f"上周质量抽查 {Sample.objects.get().items.count()} 件" in out
    assert f"突发事件“{Incident.objects.get().name}”处置中" in out
