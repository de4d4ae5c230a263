"""Fixtures: a small province's tickets with a spike, registered through the real lifecycle."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from hotline.analytics import warnings
from hotline.catalog.calendar import LOCAL_TZ, to_local
from hotline.catalog.models import Category
from hotline.tickets import lifecycle
from tests.tickets.factory import demand

OTHER_PROBLEMS = [
    "路灯不亮", "井盖破损", "垃圾清运不及时", "违章停车堵路", "广场舞噪音", "绿化带被毁",
    "下水道堵塞", "楼道堆物", "外墙脱落", "违建搭棚", "共享单车乱停", "化粪池外溢",
]  # fmt: skip
LIFT_TITLES = ["阳光花园小区电梯停运", "阳光花园小区电梯坏了没人修", "阳光花园小区电梯故障困人"]


def at(moment, fn, *args, **kwargs):
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        return fn(*args, **kwargs)


@pytest.fixture(autouse=True)
def plain_weeks(monkeypatch):
    """The detectors' tests run on whatever today is: a week of five working days keeps them
    from depending on where this year's holidays fall. test_holiday_baselines uses the real
    calendar on fixed dates."""
    monkeypatch.setattr(warnings, "is_workday", lambda day: day.weekday() < 5)


@pytest.fixture
def category(db):
    top = Category.objects.create(code="T01", name="城乡建设", level=1, full_name="城乡建设")
    mid = Category.objects.create(code="T0101", name="物业管理", level=2, parent=top,
                                  full_name="城乡建设/物业管理")  # fmt: skip
    return Category.objects.create(code="T010101", name="电梯", level=3, parent=mid,
                                   full_name="城乡建设/物业管理/电梯")  # fmt: skip


@pytest.fixture
def spike_day():
    """Yesterday at noon, local time: always in the past, always a day the detector checks."""
    yesterday = to_local(timezone.now()).date() - dt.timedelta(days=1)
    return dt.datetime.combine(yesterday, dt.time(12), tzinfo=LOCAL_TZ)


@pytest.fixture
def scene(province, category, spike_day):
    """Eight weeks of two demands a week in 鼓楼区 and two in 台江区 on the same weekday,
    then twelve citizens of 鼓楼区 on one day about one estate's lift."""
    agent = province.users["fz_agent"]

    def register(moment, title, region, phone):
        content = f"{title}，请尽快处理。"
        data = demand(title=title, content=content, region=region, category=category.pk,
                      citizen_phone=phone, address="")  # fmt: skip
        return at(moment, lifecycle.register, by=agent, data=data)[0]

    n = 0
    for week in range(1, 9):
        for region in ("350102", "350103"):
            for _ in range(2):
                moment = spike_day - dt.timedelta(weeks=week, minutes=n)
                register(moment, f"{OTHER_PROBLEMS[n % 12]}{n}号", region, f"1390000{n:04d}")
                n += 1
    lift = [register(spike_day + dt.timedelta(minutes=i), LIFT_TITLES[i % 3], "350102",
                     f"1380000{i:04d}") for i in range(12)]  # fmt: skip
    return lift
