"""The migrations that encrypt citizens' numbers outside tickets (issue 18), both ways: undone,
the numbers are clear again and back in the calls' first events; redone, they are encrypted,
hashed and out of the events, and every row still reads the same."""

import pytest
from django.db import connection

from hotline import crypto
from hotline.calls.models import Call, CallbackItem, CallEvent
from hotline.portal import verification
from hotline.portal.models import PhoneCode

from ..exchange.test_importjob_move import _migrate, latest_schema_after  # noqa: F401 (fixture)
from .test_numbers_at_rest import CALLER, CODED, _abandoned_call, make_line

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("calls", "0003_figures_rollup"), ("portal", "0002_importjob_to_exchange")]
AFTER = [("calls", "0004_citizen_numbers_sm4"), ("portal", "0003_citizen_phone_sm4")]


def _rows(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_undone_the_numbers_are_clear_and_redone_encrypted_again(province, keys):
    platform = make_line(province)
    call = _abandoned_call(platform)
    verification.send_code(phone=CODED, ip="127.0.0.1")

    _migrate(BEFORE)

    assert _rows("SELECT caller, called FROM calls_call") == [(CALLER, "12345")]
    assert _rows("SELECT number FROM calls_callbackitem") == [(CALLER,)]
    assert _rows("SELECT phone FROM portal_phonecode") == [(CODED,)]
    offered = CallEvent.objects.filter(type="offered").values_list("payload", flat=True).get()
    assert (offered["caller"], offered["called"]) == (CALLER, "12345")

    _migrate(AFTER)

    (stored,) = _rows("SELECT caller FROM calls_call")
    assert stored[0].startswith("k1:")
    assert Call.objects.filter(crypto.phone_q(CALLER, "caller")).get().pk == call.pk
    assert CallbackItem.objects.get().number == CALLER
    assert PhoneCode.objects.filter(crypto.phone_q(CODED, "phone")).get().phone == CODED
    payloads = CallEvent.objects.values_list("payload", flat=True)
    assert [k for p in payloads for k in p if k in ("caller", "called")] == []
