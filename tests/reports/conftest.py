"""A constructed province-month for the reports: October 2026, September 2026 (the month
before) and October 2025 (the same month a year earlier), every ticket through the real
lifecycle at a chosen moment, so that every figure of the report is known by hand."""

import datetime as dt
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.cache import cache

from hotline.catalog.calendar import LOCAL_TZ
from hotline.catalog.models import Category
from hotline.reports import queries
from hotline.tickets import lifecycle
from hotline.tickets.models import Satisfaction, Status, Ticket
from tests.tickets.factory import demand

HOUR = dt.timedelta(hours=1)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC))


@pytest.fixture(autouse=True)
def _empty_cache():
    """The dashboard keeps past days in the cache, the reports the category and region trees
    in the process: each test starts without them."""
    cache.clear()
    queries._trees.clear()
    yield
    cache.clear()
    queries._trees.clear()


@pytest.fixture
def categories(db):
    top = Category.objects.create(code="01", name="城乡建设", level=1, full_name="城乡建设")
    prop = Category.objects.create(
        code="0101", name="物业管理", level=2, parent=top, full_name="城乡建设/物业管理"
    )
    social = Category.objects.create(code="02", name="社会保障", level=1, full_name="社会保障")
    return SimpleNamespace(top=top, property=prop, social=social)


def make_ticket(p, moment, *, channel, appeal="complaint", region="350102", to=None,
                satisfaction=Satisfaction.SATISFIED, category=None, **kw):  # fmt: skip
    """Register at `moment` (福州 or 厦门 center by region) and move along the main path,
    one step an hour, up to `to` (None: leave it as registration left it)."""
    u = p.users
    xm = region.startswith("3502")
    agent = u["xm_agent" if xm else "fz_agent"]
    data = demand(channel=channel, appeal_type=appeal, region=region,
                  category=category.pk if category else None, **kw)  # fmt: skip
    with frozen(moment):
        t, _ = lifecycle.register(by=agent, data=data)
    order = [Status.REGISTERED, Status.PENDING_DISPATCH, Status.DISPATCHED, Status.IN_PROGRESS,
             Status.REPLIED, Status.REVIEWED, Status.CLOSED]  # fmt: skip
    steps = {
        Status.PENDING_DISPATCH: lambda t: lifecycle.accept(ticket=t, by=agent),
        Status.DISPATCHED: lambda t: lifecycle.dispatch(
            ticket=t, by=u["fz_dispatcher"], to_unit=p.units["gl_housing"]
        ),
        Status.IN_PROGRESS: lambda t: lifecycle.acknowledge(ticket=t, by=u["gl_housing_handler"]),
        Status.REPLIED: lambda t: lifecycle.reply(
            ticket=t, by=u["gl_housing_handler"], body="已督促物业维修，电梯已恢复运行。"
        ),
        Status.REVIEWED: lambda t: lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"]),
        Status.CLOSED: lambda t: lifecycle.callback(
            ticket=t, by=u["fz_callback"], satisfaction=satisfaction, resolved=True
        ),
    }
    if to is None:  # as registered: waiting for the center, or for dispatch (phone)
        return t
    at = moment
    for step in order[order.index(t.status) + 1 : order.index(to) + 1]:
        at += HOUR
        with frozen(at):
            t = steps[step](t)
    assert t.status == to
    return t


@pytest.fixture
def october(province, categories):
    """9 tickets in October 2026, 6 in September 2026, 4 in October 2025."""
    p, c = province, categories
    oct_, sep, last = local(2026, 10, 13, 9, 30), local(2026, 9, 14, 10, 0), local(2025, 10, 14, 10)
    S = Status
    made = [
        make_ticket(p, oct_, channel="phone", to=S.CLOSED, category=c.property),
        make_ticket(p, oct_, channel="phone", appeal="consult", to=S.CLOSED,
                    satisfaction=Satisfaction.BASICALLY, category=c.property),
        make_ticket(p, oct_ + 2 * HOUR, channel="phone", appeal="help", region="350103",
                    to=S.DISPATCHED, category=c.social),
        make_ticket(p, oct_ + 24 * HOUR, channel="web", to=S.CLOSED, category=c.top,
                    satisfaction=Satisfaction.UNREACHABLE),
        make_ticket(p, oct_ + 24 * HOUR, channel="web", to=S.CLOSED, category=c.property),
        make_ticket(p, oct_ + 48 * HOUR, channel="web", appeal="suggestion", region="350103"),
        make_ticket(p, local(2026, 10, 31, 23, 0), channel="web", appeal="praise", to=S.CLOSED),
        make_ticket(p, oct_, channel="wechat", region="350203"),
        make_ticket(p, oct_, channel="wechat", appeal="report", region="350203"),
    ]  # fmt: skip
    # A rated "unsatisfied" on a closed ticket comes in from sub-center imports (the
    # lifecycle reopens instead); set it on one so the satisfaction denominator is exercised.
    Ticket.objects.filter(pk=made[4].pk).update(satisfaction=Satisfaction.UNSATISFIED)
    for i in range(6):
        make_ticket(p, sep + i * HOUR, channel="phone" if i < 2 else "web",
                    to=S.CLOSED if i < 3 else None, category=c.social if i else None)  # fmt: skip
    for i in range(4):
        make_ticket(p, last + i * HOUR, channel="phone", region="350203" if i else "350102")
    # The first of November (local) is outside October even though it is 31 October in UTC.
    make_ticket(p, local(2026, 11, 1, 0, 30), channel="web")
    return SimpleNamespace(p=p, tickets=made)
