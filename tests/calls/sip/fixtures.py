"""Pytest fixtures of the telephony stack, loaded for the whole suite by the root conftest so
that the browser tests can place real calls too.

- `sip_stack` (session): Kamailio reporting to the product's live server, two agents' phones
  (sipp, seats 1001 and 1002) in the hotline queue, the citizens' phones behind the gateway
  and a softphone (baresip, seat 1003) for click-to-dial. Started once, stopped at the end.
- `call_center` (per test): the database side: the platform (code and secret as Kamailio
  signs with), the queue, the three seats, and an agent signed in and ready at each.

Without the Debian packages (`make telephony`) the tests that use them are skipped, except
with CI=true, where that is a failure.
"""

import os
import secrets
from types import SimpleNamespace

import pytest

from hotline.calls import agents, services
from hotline.calls.models import CallQueue, DialKind, Seat
from hotline.calls.platforms import kamailio  # noqa: F401 (registers the Kamailio dialer)
from hotline.orgs.models import Membership, Role, User

from .harness import HOTLINE_NUMBER, QUEUE_CODE, SipStack, missing_tools

PLATFORM_CODE = "kamailio-test"
CTI_PATH = "/api/v1/cti/events"
CENTER = "fz"


@pytest.fixture(scope="session")
def sip_stack(live_server, tmp_path_factory):
    missing = missing_tools()
    if missing:
        reason = "telephony packages missing (make telephony): " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    stack = SipStack(
        workdir=tmp_path_factory.mktemp("sip"),
        cti_url=live_server.url + CTI_PATH,
        platform=PLATFORM_CODE,
        # Replaced by each test's platform secret (call_center); none is valid before that.
        secret=secrets.token_hex(16),
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def call_center(sip_stack, province, transactional_db):
    """The platform, queue and seats Kamailio's events name, each seat with a ready agent."""
    center = province.units[CENTER]
    platform, secret = services.create_platform(
        code=PLATFORM_CODE,
        name="Kamailio（测试）",
        center=center,
        dial_kind=DialKind.KAMAILIO,
        dial_url=sip_stack.dial_url,
    )
    # Each test's platform has a new secret: Kamailio signs with it from now on, and what it
    # still held of an earlier test is refused (unknown platform or wrong signature).
    sip_stack.set_secret(secret)
    queue = CallQueue.objects.create(code=QUEUE_CODE, name="12345 热线", center=center)
    seats, users = {}, {}
    for code in (*sip_stack.agent_seats, sip_stack.softphone_seat):
        seats[code] = Seat.objects.create(code=code, center=center, extension=code)
        user = User.objects.create(username=f"agent{code}", full_name=f"话务员{code}")
        Membership.objects.create(user=user, unit=center, role=Role.AGENT)
        agents.sign_in(user=user, seat=seats[code])
        agents.set_state(user=user, state="ready")
        users[code] = user
    return SimpleNamespace(
        stack=sip_stack,
        platform=platform,
        queue=queue,
        seats=seats,
        agents=users,
        center=center,
        number=HOTLINE_NUMBER,
    )
