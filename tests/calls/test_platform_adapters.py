"""Every platform adapter is loaded with the app, so `hotline serve` finds its dialer.

Checked in a fresh interpreter: in this one the SIP test fixtures have imported it already.
"""

import subprocess
import sys

from django.conf import settings

PROBE = (
    "import django; django.setup(); "
    "from hotline.calls import dialing; print(dialing.DIALERS['kamailio'].__module__)"
)


def test_the_kamailio_dialer_is_registered_at_start():
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "hotline.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "hotline.calls.platforms.kamailio"
