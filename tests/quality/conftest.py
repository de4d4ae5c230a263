"""福州 center with two appointed quality checkers and tickets its agent registered in the
week of Monday 2026-03-02 (local), moved along the real lifecycle."""

import datetime as dt
from unittest import mock

import pytest

from hotline.catalog.calendar import LOCAL_TZ
from hotline.quality import services
from hotline.quality.models import Plan
from hotline.tickets import lifecycle
from hotline.tickets.models import Satisfaction, Status
from tests.tickets.factory import ticket_at

WEEK = dt.date(2026, 3, 2)
MONTH = "2026-03"
AFTER = dt.datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ)  # the week is over


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC))


@pytest.fixture
def center(province):
    c = province.units["fz"]
    services.appoint_checker(center=c, user=province.users["fz_reviewer"])
    services.appoint_checker(center=c, user=province.users["fz_callback"])
    services.ensure_rubric(c)
    Plan.objects.create(center=c, per_agent=3)
    return c


@pytest.fixture
def week_tickets(province, center):
    """Six plain tickets (web and WeChat) and one reopened (callback unsatisfied)."""
    made = []
    with frozen(local(2026, 3, 3, 10)):
        for i in range(6):
            channel = "wechat" if i % 2 else "web"
            made.append(ticket_at(province, Status.PENDING_DISPATCH, channel=channel,
                                  title=f"路灯不亮{i}"))  # fmt: skip
        t = ticket_at(province, Status.REVIEWED, title="噪音扰民")
        t = lifecycle.callback(ticket=t, by=province.users["fz_callback"],
                               satisfaction=Satisfaction.UNSATISFIED, resolved=False)  # fmt: skip
        made.append(t)
    return made


FULL = [
    {"line": "registration", "points": 30},
    {"line": "routing", "points": 25},
    {"line": "policy", "points": 25},
    {"line": "attitude", "points": 20},
]


def lines(**points) -> list[dict]:
    """The full-marks lines with some replaced: lines(registration=20)."""
    return [{"line": x["line"], "points": points.get(x["line"], x["points"])} for x in FULL]
