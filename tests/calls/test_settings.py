"""The telephony settings come from HOTLINE_CALLS_* environment variables."""

import os
import subprocess
import sys

PROBE = (
    "import django; django.setup(); from hotline.calls import conf; "
    "print(conf.short_abandon_seconds(), conf.service_level_seconds(), "
    "conf.after_call_seconds(), *conf.callback_limit())"
)


def probe(**env) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_CALLS_")}
    environ.update(env, DJANGO_SETTINGS_MODULE="hotline.settings")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_the_defaults():
    assert probe() == "5 15 30 4 working_hours"


def test_each_setting_from_the_environment():
    got = probe(
        HOTLINE_CALLS_SHORT_ABANDON_SECONDS="3",
        HOTLINE_CALLS_SERVICE_LEVEL_SECONDS="20",
        HOTLINE_CALLS_AFTER_CALL_SECONDS="45",
        HOTLINE_CALLS_CALLBACK_WORKING_HOURS="8",
    )
    assert got == "3 20 45 8 working_hours"
    assert probe(HOTLINE_CALLS_CALLBACK_HOURS="24") == "5 15 30 24 hours"
