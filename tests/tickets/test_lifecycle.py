import pytest
from django.db import connection

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.exchange.models import OutboxMessage
from hotline.tickets import history, lifecycle
from hotline.tickets.models import (
    Assignment,
    RequestState,
    Satisfaction,
    Status,
    Ticket,
    TicketEvent,
)

from .factory import demand, ticket_at

pytestmark = pytest.mark.django_db


def test_web_demand_is_registered_and_waits_for_acceptance(province):
    t, created = lifecycle.register(by=province.users["fz_agent"], data=demand())
    assert created is True
    assert t.status == Status.REGISTERED
    assert t.number.startswith("350100")
    assert len(t.number) == 20
    assert t.center == province.units["fz"]
    assert [e.action for e in t.events.all()] == ["register"]
    assert OutboxMessage.objects.filter(ticket=t).count() == 1


def test_phone_demand_taken_by_agent_waits_for_dispatch(province):
    t, _ = lifecycle.register(by=province.users["fz_agent"], data=demand(channel="phone"))
    assert t.status == Status.PENDING_DISPATCH


def test_numbers_follow_each_other_per_center_and_day(province):
    a, _ = lifecycle.register(by=province.users["fz_agent"], data=demand())
    b, _ = lifecycle.register(by=province.users["fz_agent"], data=demand())
    assert int(b.number[-6:]) == int(a.number[-6:]) + 1
    assert a.number[:14] == b.number[:14]


def test_same_external_ref_never_makes_two_tickets(province):
    first, created = lifecycle.register(
        by=province.users["fz_agent"], data=demand(external_ref="X-1")
    )
    again, created_again = lifecycle.register(
        by=province.users["fz_agent"], data=demand(external_ref="X-1")
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1


def test_main_path_to_closed_with_a_chained_history(province):
    t = ticket_at(province, Status.CLOSED)
    assert t.satisfaction == Satisfaction.SATISFIED
    assert t.closed_at is not None
    actions = list(t.events.values_list("action", flat=True))
    assert actions == [
        "register",
        "accept",
        "dispatch",
        "acknowledge",
        "reply",
        "approve_reply",
        "callback",
    ]
    assert history.verify(t).ok is True
    assert OutboxMessage.objects.filter(ticket=t).count() == 7


def test_resolve_at_intake_closes_at_once(province):
    t = lifecycle.resolve_at_intake(
        by=province.users["fz_agent"],
        data=demand(channel="phone", appeal_type="consult"),
        reply="社保卡补办请携带身份证到社保服务大厅办理。",
        article="社保卡补办",
    )
    assert t.status == Status.CLOSED
    assert t.events.get().action == "resolve_at_intake"


def test_dispatch_sets_deadlines_from_the_policy(province):
    t = ticket_at(province, Status.DISPATCHED)
    assert t.lead_unit == province.units["gl_housing"]
    assert t.ack_deadline is not None
    assert t.handle_deadline > t.ack_deadline


def test_dispatch_with_assisting_units(province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    t = lifecycle.dispatch(
        ticket=t,
        by=province.users["fz_dispatcher"],
        to_unit=province.units["gl_housing"],
        assisting=[province.units["fz_hrss"]],
    )
    roles = sorted(Assignment.objects.filter(ticket=t).values_list("unit__code", "role"))
    assert roles == [("fz_hrss", "assist"), ("gl_housing", "lead")]
    t = lifecycle.acknowledge(ticket=t, by=province.users["fz_hrss_handler"])
    assert t.status == Status.DISPATCHED
    assert t.events.last().action == "acknowledge_assist"


def test_province_center_transfers_to_city_center(province):
    t, _ = lifecycle.register(by=province.users["prov_agent"], data=demand(channel="phone"))
    t = lifecycle.dispatch(
        ticket=t, by=province.users["prov_dispatcher"], to_unit=province.units["fz"]
    )
    assert (t.status, t.center.code) == (Status.PENDING_DISPATCH, "fz")
    t = lifecycle.dispatch(
        ticket=t, by=province.users["fz_dispatcher"], to_unit=province.units["gl_housing"]
    )
    assert t.status == Status.DISPATCHED


def test_dispatch_outside_the_centers_region_is_refused(province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    with pytest.raises(InvalidInput) as err:
        lifecycle.dispatch(
            ticket=t, by=province.users["fz_dispatcher"], to_unit=province.units["xm_housing"]
        )
    assert err.value.field == "to_unit"
    assert Ticket.objects.get(pk=t.pk).status == Status.PENDING_DISPATCH


def test_sub_dispatch_to_a_town_and_back_by_return(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    t = lifecycle.sub_dispatch(
        ticket=t, by=province.users["gl_housing_handler"], to_unit=province.units["gl_town"]
    )
    assert (t.status, t.lead_unit.code) == (Status.DISPATCHED, "gl_town")
    t = lifecycle.request_return(
        ticket=t, by=province.users["gl_town_handler"], reason="不属于街道职责范围"
    )
    t = lifecycle.approve_return(ticket=t, by=province.users["gl_housing_handler"])
    assert (t.status, t.lead_unit.code) == (Status.IN_PROGRESS, "gl_housing")


def test_return_approved_goes_back_to_dispatch(province):
    t = ticket_at(province, Status.DISPATCHED)
    t = lifecycle.request_return(
        ticket=t, by=province.users["gl_housing_handler"], reason="属于人社部门职责，非本单位"
    )
    assert t.status == Status.RETURN_REQUESTED
    t = lifecycle.approve_return(ticket=t, by=province.users["fz_dispatcher"])
    assert (t.status, t.lead_unit, t.return_count) == (Status.PENDING_DISPATCH, None, 1)
    assert not Assignment.objects.filter(ticket=t, is_active=True).exists()


def test_return_rejected_restores_the_prior_state(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    t = lifecycle.request_return(
        ticket=t, by=province.users["gl_housing_handler"], reason="属于人社部门职责，非本单位"
    )
    t = lifecycle.reject_return(
        ticket=t, by=province.users["fz_dispatcher"], reason="属于本单位职责"
    )
    assert t.status == Status.IN_PROGRESS
    assert t.requests.get().state == RequestState.REJECTED


def test_extension_moves_the_deadline_and_is_capped(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    before = t.handle_deadline
    for _ in range(3):
        t = lifecycle.request_extension(
            ticket=t,
            by=province.users["gl_housing_handler"],
            days=3,
            reason="需协调多个部门现场核查",
        )
        t = lifecycle.approve_extension(ticket=t, by=province.users["fz_dispatcher"])
    assert t.extension_count == 3
    assert t.handle_deadline > before
    with pytest.raises(IllegalTransition):
        lifecycle.request_extension(
            ticket=t, by=province.users["gl_housing_handler"], days=1, reason="仍需协调多个部门"
        )


def test_extension_longer_than_the_policy_is_bad_input(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    with pytest.raises(InvalidInput) as err:
        lifecycle.request_extension(
            ticket=t,
            by=province.users["gl_housing_handler"],
            days=9,
            reason="需协调多个部门现场核查",
        )
    assert err.value.field == "days"
    assert t.requests.count() == 0


def test_rejected_extension_keeps_the_deadline(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    before = t.handle_deadline
    t = lifecycle.request_extension(
        ticket=t, by=province.users["gl_housing_handler"], days=2, reason="需协调多个部门现场核查"
    )
    t = lifecycle.reject_extension(ticket=t, by=province.users["fz_dispatcher"], reason="时限充足")
    assert (t.handle_deadline, t.extension_count) == (before, 0)


def test_review_rejection_sends_the_reply_back(province):
    t = ticket_at(province, Status.REPLIED)
    t = lifecycle.reject_reply(ticket=t, by=province.users["fz_reviewer"], reason="答复敷衍")
    assert t.status == Status.IN_PROGRESS


def test_unsatisfied_callback_reopens_to_the_same_unit(province):
    t = ticket_at(province, Status.REVIEWED)
    t = lifecycle.callback(
        ticket=t,
        by=province.users["fz_callback"],
        satisfaction=Satisfaction.UNSATISFIED,
        resolved=False,
    )
    assert (t.status, t.lead_unit.code, t.reopen_count) == (Status.IN_PROGRESS, "gl_housing", 1)


def test_closed_ticket_reopens_within_the_window(province):
    t = ticket_at(province, Status.CLOSED)
    t = lifecycle.reopen(ticket=t, by=province.users["fz_callback"], reason="问题复发")
    assert (t.status, t.reopen_count, t.satisfaction) == (Status.IN_PROGRESS, 1, "")


def test_close_without_callback(province):
    t = ticket_at(province, Status.REVIEWED, anonymous=True)
    t = lifecycle.close(ticket=t, by=province.users["fz_callback"], reason="匿名诉求，免回访")
    assert t.status == Status.CLOSED


def test_merge_duplicate_into_the_open_ticket(province):
    keep = ticket_at(province, Status.IN_PROGRESS)
    dup = ticket_at(province, Status.PENDING_DISPATCH, citizen_phone="13900000002")
    dup = lifecycle.merge(ticket=dup, into=keep, by=province.users["fz_dispatcher"])
    assert (dup.status, dup.merged_into_id) == (Status.MERGED, keep.pk)
    keep.refresh_from_db()
    assert keep.events.last().action == "absorb"
    assert keep.events.last().data["merged"] == dup.number


def test_mark_invalid(province):
    t = ticket_at(province, Status.REGISTERED)
    t = lifecycle.mark_invalid(ticket=t, by=province.users["fz_agent"], reason="骚扰电话")
    assert t.status == Status.INVALID


def test_supervise_marks_without_changing_status(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    t = lifecycle.supervise(ticket=t, by=province.users["fz_supervisor"], reason="群众反映强烈")
    assert (t.status, t.is_supervised) == (Status.IN_PROGRESS, True)


# ---- refused transitions: wrong state (409) and wrong actor (403), nothing changed ----------

REFUSED_STATE = [
    ("accept", Status.PENDING_DISPATCH, "fz_agent", {}),
    ("dispatch", Status.REGISTERED, "fz_dispatcher", {"to_unit": "gl_housing"}),
    ("acknowledge", Status.IN_PROGRESS, "gl_housing_handler", {}),
    ("sub_dispatch", Status.DISPATCHED, "gl_housing_handler", {"to_unit": "gl_town"}),
    ("request_return", Status.REPLIED, "gl_housing_handler", {"reason": "不属于本单位职责"}),
    ("approve_return", Status.IN_PROGRESS, "fz_dispatcher", {}),
    ("reject_return", Status.IN_PROGRESS, "fz_dispatcher", {"reason": "属于本单位"}),
    (
        "request_extension",
        Status.DISPATCHED,
        "gl_housing_handler",
        {"days": 2, "reason": "需协调多个部门"},
    ),
    ("approve_extension", Status.IN_PROGRESS, "fz_dispatcher", {}),
    ("reply", Status.DISPATCHED, "gl_housing_handler", {"body": "已处理完毕，电梯恢复"}),
    ("approve_reply", Status.IN_PROGRESS, "fz_reviewer", {}),
    ("reject_reply", Status.REVIEWED, "fz_reviewer", {"reason": "敷衍"}),
    ("callback", Status.REPLIED, "fz_callback", {"satisfaction": "satisfied", "resolved": True}),
    ("close", Status.IN_PROGRESS, "fz_callback", {"reason": "免回访"}),
    ("reopen", Status.REVIEWED, "fz_callback", {"reason": "问题复发"}),
    ("merge_closed", Status.CLOSED, "fz_dispatcher", {}),
    ("mark_invalid", Status.IN_PROGRESS, "fz_agent", {"reason": "骚扰"}),
    ("supervise", Status.CLOSED, "fz_supervisor", {"reason": "群众反映强烈"}),
]

REFUSED_ACTOR = [
    ("accept", Status.REGISTERED, "fz_reviewer", {}),
    ("dispatch", Status.PENDING_DISPATCH, "fz_agent", {"to_unit": "gl_housing"}),
    ("acknowledge", Status.DISPATCHED, "tj_housing_handler", {}),
    ("sub_dispatch", Status.IN_PROGRESS, "fz_housing_handler", {"to_unit": "gl_town"}),
    ("request_return", Status.IN_PROGRESS, "fz_dispatcher", {"reason": "不属于本单位职责"}),
    (
        "request_extension",
        Status.IN_PROGRESS,
        "fz_reviewer",
        {"days": 2, "reason": "需协调多个部门"},
    ),
    ("reply", Status.IN_PROGRESS, "fz_reviewer", {"body": "已处理完毕，电梯恢复"}),
    ("approve_reply", Status.REPLIED, "gl_housing_handler", {}),
    ("reject_reply", Status.REPLIED, "fz_callback", {"reason": "敷衍"}),
    ("callback", Status.REVIEWED, "fz_reviewer", {"satisfaction": "satisfied", "resolved": True}),
    ("close", Status.REVIEWED, "gl_housing_handler", {"reason": "免回访"}),
    ("reopen", Status.CLOSED, "gl_housing_handler", {"reason": "问题复发"}),
    ("mark_invalid", Status.REGISTERED, "xm_agent", {"reason": "骚扰"}),
    ("supervise", Status.IN_PROGRESS, "xm_dispatcher", {"reason": "群众反映强烈"}),
]


def _act(province, action, t, username, kwargs):
    kwargs = dict(kwargs)
    if "to_unit" in kwargs:
        kwargs["to_unit"] = province.units[kwargs["to_unit"]]
    if action == "merge_closed":
        other = ticket_at(province, Status.PENDING_DISPATCH)
        return lifecycle.merge(ticket=other, into=t, by=province.users[username])
    return getattr(lifecycle, action)(ticket=t, by=province.users[username], **kwargs)


def _snapshot(t):
    t = Ticket.objects.get(pk=t.pk)
    return (t.status, t.event_count, t.lead_unit_id, TicketEvent.objects.count())


@pytest.mark.parametrize(
    ("action", "status", "user", "kwargs"),
    REFUSED_STATE,
    ids=[f"{a}-in-{s}" for a, s, _, _ in REFUSED_STATE],
)
def test_transition_in_the_wrong_state_is_409_and_changes_nothing(
    province, action, status, user, kwargs
):
    t = ticket_at(province, status)
    before = _snapshot(t)
    with pytest.raises(IllegalTransition) as err:
        _act(province, action, t, user, kwargs)
    assert err.value.status == 409
    assert err.value.message_zh and err.value.message_en
    if action != "merge_closed":
        assert _snapshot(t) == before


@pytest.mark.parametrize(
    ("action", "status", "user", "kwargs"),
    REFUSED_ACTOR,
    ids=[f"{a}-by-{u}" for a, _, u, _ in REFUSED_ACTOR],
)
def test_transition_by_the_wrong_actor_is_refused_and_changes_nothing(
    province, action, status, user, kwargs
):
    t = ticket_at(province, status)
    before = _snapshot(t)
    with pytest.raises(Forbidden) as err:
        _act(province, action, t, user, kwargs)
    assert err.value.status == 403
    assert _snapshot(t) == before


# ---- history --------------------------------------------------------------------------------


def test_an_edited_event_breaks_the_chain(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticketevent SET data = %s WHERE ticket_id = %s AND seq = 2",
            ['{"note": "改过的"}', t.pk],
        )
    report = history.verify(t)
    assert (report.ok, report.seq) == (False, 2)


def test_a_deleted_last_event_breaks_the_chain(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM exchange_outboxmessage WHERE ticket_id = %s", [t.pk])
        cursor.execute(
            "DELETE FROM tickets_ticketevent WHERE ticket_id = %s AND seq = %s",
            [t.pk, t.event_count],
        )
    assert history.verify(Ticket.objects.get(pk=t.pk)).ok is False


def test_a_status_written_behind_the_lifecycle_is_detected(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    Ticket.objects.filter(pk=t.pk).update(status=Status.CLOSED)
    assert history.verify(Ticket.objects.get(pk=t.pk)).ok is False


def test_resolve_at_intake_with_a_known_external_ref_returns_the_same_ticket(province):
    data = demand(channel="wechat", appeal_type="consult", external_ref="WX-9")
    first = lifecycle.resolve_at_intake(
        by=province.users["fz_agent"], data=data, reply="请携带身份证到社保服务大厅办理。"
    )
    again = lifecycle.resolve_at_intake(
        by=province.users["fz_agent"], data=data, reply="请携带身份证到社保服务大厅办理。"
    )
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
