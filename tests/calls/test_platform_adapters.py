"""Every platform adapter is loaded with the app, so `hotline serve` finds its dialer."""

from hotline.calls import dialing


def test_the_kamailio_dialer_is_registered_at_start():
    assert dialing.DIALERS["kamailio"].__module__ == "hotline.calls.platforms.kamailio"
