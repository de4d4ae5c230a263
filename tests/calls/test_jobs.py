"""The calls app's periodic jobs: declared in hotline/calls/jobs.py, collected and run by the
worker; the overdue 回拨 reminder told once to the center."""

import datetime as dt
import io

from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from hotline.calls import agents, callbacks
from hotline.calls.models import AgentSession, CallbackItem
from hotline.supervision import schedule
from hotline.supervision.models import Notification

from .conftest import T0, answered_call, event, offered


def test_the_worker_collects_the_jobs_the_calls_app_declares():
    jobs = {j.name: j for j in schedule.declared()}

    assert jobs["calls_after_call"].target == "hotline.calls.agents.sweep_after_call"
    assert jobs["calls_overdue_callbacks"].target == "hotline.calls.callbacks.warn_overdue"
    assert "deadline_sweep" in jobs  # supervision's own list is still there
    assert all(schedule.resolve(jobs[n]) is not None for n in jobs if n.startswith("calls_"))


def test_after_call_work_past_its_time_is_ended_by_the_worker(province, phone, post, settings):
    # given an agent in 话后整理 whose 20 s ran out long ago
    settings.CALLS_AFTER_CALL_SECONDS = 20
    user = province.users["fz_agent"]
    agents.sign_in(user=user, seat=phone.seats["1001"], at=T0 - dt.timedelta(minutes=5))
    agents.set_state(user=user, state="ready", at=T0 - dt.timedelta(minutes=4))
    post(answered_call("w1", wait=10, talk=60))
    assert AgentSession.objects.get(user=user).state == "after_call"
    # when the scheduler enqueues the job and the worker runs it
    job = next(j for j in schedule.declared() if j.name == "calls_after_call")
    assert schedule.tick(jobs=[job]) == ["calls_after_call"]
    call_command("worker", "--once", "--no-schedule", stdout=io.StringIO())
    # then
    assert AgentSession.objects.get(user=user).state == "ready"
    assert DBTaskResult.objects.get().return_value == 1


def test_an_overdue_callback_is_told_once_to_the_centers_callback_agents_and_supervisors(
    province, post
):
    # given a citizen who hung up after 40 s at 17:00 on a Monday (due within 4 working hours)
    post([offered("o1", "o1a", 0), event("o1", "o1b", "abandoned", 40)])
    item = CallbackItem.objects.get()
    # when the reminder runs before and after the time limit
    before = callbacks.warn_overdue(now=item.due_at - dt.timedelta(minutes=1))
    first = callbacks.warn_overdue(now=item.due_at + dt.timedelta(minutes=1))
    again = callbacks.warn_overdue(now=item.due_at + dt.timedelta(hours=1))
    # then only the first run past the limit tells 福州's callback agent and supervisor
    assert (before, first, again) == (0, 1, 0)
    told = {n.recipient.username: (n.title, n.link) for n in Notification.objects.all()}
    assert told == {
        "fz_callback": ("回拨超时 1 件", "/calls/callbacks/"),
        "fz_supervisor": ("回拨超时 1 件", "/calls/callbacks/"),
    }
    body = Notification.objects.first().body
    assert body.startswith("福州市12345热线中心：1 件，最早时限 ")


def test_a_finished_callback_is_never_reminded(province, post):
    post([offered("o2", "o2a", 0), event("o2", "o2b", "abandoned", 40)])
    item = CallbackItem.objects.get()
    callbacks.record_outcome(
        user=province.users["fz_callback"], item_id=item.pk, status="done", note="已联系"
    )

    assert callbacks.warn_overdue(now=item.due_at + dt.timedelta(days=1)) == 0
    assert Notification.objects.count() == 0
