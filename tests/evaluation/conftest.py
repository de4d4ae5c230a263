import datetime as dt
from unittest import mock

import pytest

from hotline.catalog.calendar import LOCAL_TZ
from tests.tickets.factory import ticket_at


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


@pytest.fixture
def at():
    """Run the real lifecycle as if at `moment`: the ticket's own clock is frozen, not the test's."""

    def _at(moment, fn, *args, **kwargs):
        with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
            return fn(*args, **kwargs)

    return _at


@pytest.fixture
def make(province, at):
    def _make(status, moment, **kw):
        return at(moment, ticket_at, province, status, **kw)

    return _make
