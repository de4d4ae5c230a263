"""Tickets of 鼓楼区 (福州 center) before and after a topic is defined, and the worker that runs
the queued retroactive tagging (the real `hotline worker --once --no-schedule`)."""

import io

import pytest
from django.core.management import call_command

from hotline.tickets.models import Status
from hotline.topics import services
from tests.tickets.factory import ticket_at


def run_worker() -> str:
    out = io.StringIO()
    call_command("worker", "--once", "--no-schedule", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def past(province):
    """Two wage-arrears demands and one unrelated one, registered before the topic."""
    return [
        ticket_at(province, Status.PENDING_DISPATCH, title="工地拖欠农民工工资",
                  content="鼓楼区某工地老板欠薪三个月不发。", external_ref="p1"),
        ticket_at(province, Status.DISPATCHED, title="小区路灯不亮",
                  content="鼓东街道某小区路灯坏了一周。", external_ref="p2"),
        ticket_at(province, Status.IN_PROGRESS, title="公司欠薪",
                  content="ＡＢＣ公司拖欠工资两个月（全角字母）。", external_ref="p3"),
    ]  # fmt: skip


@pytest.fixture
def wage_topic(province, past, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        topic = services.create_topic(
            center=province.units["fz"], by=province.users["fz_supervisor"], name="欠薪专项",
            keywords=["欠薪", "拖欠农民工工资"],
        )  # fmt: skip
    return topic
