"""Managers for the small province (center administrators), and a record of live messages."""

import pytest

import hotline.realtime as realtime
from hotline.orgs.models import Membership, Role, User


@pytest.fixture
def p(province):
    """The test province plus a manager (administrator) at the province, 福州 and 厦门."""
    for username, unit in (("prov_admin", "prov"), ("fz_admin", "fz"), ("xm_admin", "xm")):
        user = User.objects.create(username=username, full_name=username, password="!")
        Membership.objects.create(user=user, unit=province.units[unit], role=Role.ADMIN)
        province.users[username] = user
    return province


class Recorder:
    """The real broker, with every published message also kept for the test to read."""

    def __init__(self, real):
        self.real = real
        self.messages: list[tuple[str, dict]] = []

    def publish(self, topic, data):
        self.messages.append((topic, data))
        return self.real.publish(topic, data)

    def topics(self, kind):
        return sorted(t for t, d in self.messages if d.get("kind") == kind)


@pytest.fixture
def live(monkeypatch):
    recorder = Recorder(realtime.broker())
    monkeypatch.setattr(realtime, "broker", lambda: recorder)
    return recorder


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.HOTLINE_SMS_FILE = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"
