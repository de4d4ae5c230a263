"""Screening inside the lifecycle: registration, reply and approval."""

from datetime import timedelta

import pytest

from hotline.errors import IllegalTransition, InvalidInput
from hotline.screening import board, lexicon, services
from hotline.screening.models import (
    AlertKind,
    DuplicateBand,
    RepeatCase,
    ReplyReview,
    RiskAlert,
    RiskAssessment,
)
from hotline.tickets import lifecycle
from hotline.tickets.models import Status, Ticket
from tests.tickets.factory import demand, ticket_at

THREAT = "拖欠工资半年，再不给钱我就从你们单位楼上跳楼。"


def test_red_demand_is_critical_alerts_the_duty_supervisors_and_is_on_the_board(province):
    u = province.users

    t, _ = lifecycle.register(by=u["fz_agent"], data=demand(content=THREAT))

    t.refresh_from_db()
    assert t.urgency == "critical"
    assert t.risk_level == "red"
    assessment = RiskAssessment.objects.get(ticket=t)
    assert assessment.level == "red"
    assert [h["term"] for h in assessment.hits] == ["跳楼"]
    alert = RiskAlert.objects.get(ticket=t)
    assert (alert.kind, alert.unit, alert.role) == (
        AlertKind.RED_DEMAND,
        province.units["fz"],
        "supervisor",
    )
    assert t.events.get(seq=1).data["risk"] == "red"
    assert [r["number"] for r in board.risk_board(u["fz_supervisor"])] == [t.number]


def test_red_ticket_gets_the_critical_time_limit_at_dispatch(province):
    normal = ticket_at(province, Status.DISPATCHED)
    red = ticket_at(province, Status.DISPATCHED, content=THREAT)

    assert red.urgency == "critical"
    assert red.handle_deadline - red.dispatched_at < normal.handle_deadline - normal.dispatched_at


def test_red_ticket_leaves_the_board_when_closed(province):
    t = ticket_at(province, Status.CLOSED, content=THREAT)

    assert board.risk_board(province.users["fz_supervisor"]) == []
    assert RiskAssessment.objects.get(ticket=t).level == "red"


def test_ordinary_demand_writes_no_assessment_and_no_alert(province):
    t, _ = lifecycle.register(by=province.users["fz_agent"], data=demand())

    assert t.urgency == "normal"
    assert t.risk_level == ""
    assert not RiskAssessment.objects.filter(ticket=t).exists()
    assert not RiskAlert.objects.exists()
    assert DuplicateBand.objects.filter(ticket=t).count() > 0


def test_stalled_risk_ticket_is_raised_once(province):
    t, _ = lifecycle.register(by=province.users["fz_agent"], data=demand(content=THREAT))
    later = t.updated_at + timedelta(hours=board.STALL_HOURS + 1)

    assert board.raise_stalled(now=later) == 1
    assert board.raise_stalled(now=later) == 0
    assert RiskAlert.objects.filter(ticket=t, kind=AlertKind.STALLED).count() == 1
    assert board.risk_board(province.users["fz_supervisor"], now=later)[0]["stalled"] is True


def test_resolve_at_intake_screens_too(province):
    t = lifecycle.resolve_at_intake(
        by=province.users["fz_agent"], data=demand(content=THREAT), reply="已告知劳动监察电话"
    )

    assert RiskAssessment.objects.get(ticket=t).level == "red"
    assert t.urgency == "critical"


def test_blocked_reply_is_refused_and_changes_nothing(province):
    t = ticket_at(province, Status.IN_PROGRESS)
    before = (t.status, t.event_count, t.reply)

    with pytest.raises(InvalidInput) as err:
        lifecycle.reply(
            ticket=t, by=province.users["gl_housing_handler"], body="网友：您好！留言已收悉"
        )

    t.refresh_from_db()
    assert (t.status, t.event_count, t.reply) == before
    assert err.value.field == "body"
    assert "收悉" in err.value.message_zh
    assert not ReplyReview.objects.filter(ticket=t).exists()


def test_accepted_reply_stores_its_review_for_the_reviewer(province):
    t = ticket_at(province, Status.REPLIED)

    review = ReplyReview.objects.get(ticket=t)
    assert review.verdict == "pass"
    assert t.events.order_by("-seq").first().data["review"] == "pass"


def test_approval_is_refused_while_the_latest_review_blocks(province):
    u = province.users
    t = ticket_at(province, Status.REPLIED)
    lexicon.edit(by=u["admin"], changes=[{"term": "恢复运行", "category": "reply"}])
    services.store_review(ticket=t, body=t.reply, review=services.check_reply(t, t.reply), by=None)

    with pytest.raises(IllegalTransition) as err:
        lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"])

    assert "拦截" in err.value.message_zh
    t.refresh_from_db()
    assert t.status == Status.REPLIED
    # The way out: send it back, the handler writes a reply that passes, then approve.
    lifecycle.reject_reply(ticket=t, by=u["fz_reviewer"], reason="请具体说明维修结果")
    lifecycle.reply(
        ticket=t,
        by=u["gl_housing_handler"],
        body="经核实，物业已于11月20日更换电梯主板，电梯已正常使用。",
    )
    assert lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"]).status == Status.REVIEWED


def test_lexicon_edit_takes_effect_without_restart(province):
    u = province.users
    assert services.screen_demand("", "我们要去围观拍卖会").level == "none"

    lexicon.edit(by=u["admin"], changes=[{"term": "围观", "category": "collective"}])

    assert services.screen_demand("", "我们要去围观拍卖会").level == "orange"
    lexicon.edit(
        by=u["admin"], changes=[{"term": "围观", "category": "collective", "active": False}]
    )
    assert services.screen_demand("", "我们要去围观拍卖会").level == "none"


def test_near_duplicate_is_found_with_its_similarity(province):
    u = province.users
    first, _ = lifecycle.register(by=u["fz_agent"], data=demand())
    second, _ = lifecycle.register(
        by=u["fz_agent"],
        data=demand(content="鼓楼区某小区3号楼电梯停运两周了，物业一直不修，老人上下楼很困难。"),
    )
    other, _ = lifecycle.register(
        by=u["fz_agent"],
        data=demand(title="咨询社保", content="请问灵活就业人员如何缴纳养老保险？"),
    )

    found = board.similar_tickets(u["fz_agent"], second)

    assert [d["number"] for d in found["near_duplicates"]] == [first.number]
    assert 0.5 <= found["near_duplicates"][0]["similarity"] <= 1.0
    assert [d["number"] for d in found["same_caller"]] == [first.number]  # `other` came later


def test_third_unresolved_repeat_opens_a_case_and_alerts(province):
    u = province.users
    tickets = [lifecycle.register(by=u["fz_agent"], data=demand())[0] for _ in range(3)]

    case = RepeatCase.objects.get()
    assert case.first_ticket == tickets[0]
    assert case.first_at == tickets[0].created_at  # the same instant on both databases
    assert sorted(case.hits.values_list("created_at", flat=True)) == [t.created_at for t in tickets]
    assert RiskAlert.objects.get(kind=AlertKind.REPEAT).ticket == tickets[0]
    listed = board.repeat_list(u["fz_agent"])
    assert [(c["first_ticket"], c["count"]) for c in listed] == [(tickets[0].number, 3)]
    assert listed[0]["tickets"] == [t.number for t in tickets]
    assert board.repeat_list(u["xm_agent"]) == []


def test_resolved_tickets_do_not_count_as_repeats(province):
    ticket_at(province, Status.CLOSED)  # closed with resolved=True by the factory
    ticket_at(province, Status.CLOSED)
    lifecycle.register(by=province.users["fz_agent"], data=demand())

    assert not RepeatCase.objects.exists()
    assert Ticket.objects.count() == 3


def test_a_repeat_case_keeps_counting_but_lists_few_numbers(province, monkeypatch):
    monkeypatch.setattr(board, "NUMBERS", 3)
    for _ in range(5):
        lifecycle.register(by=province.users["fz_agent"], data=demand())

    [case] = board.repeat_list(province.users["fz_agent"])
    assert case["count"] == 5
    assert len(case["tickets"]) == 3
    assert RiskAlert.objects.filter(kind=AlertKind.REPEAT).count() == 1


def test_the_same_text_from_other_callers_is_no_repeat(province):
    for phone in ("13800000001", "13800000002", "13800000003"):
        lifecycle.register(by=province.users["fz_agent"], data=demand(citizen_phone=phone))

    assert not RepeatCase.objects.exists()


def test_a_demand_too_short_for_a_band_is_registered(province):
    t, _ = lifecycle.register(
        by=province.users["fz_agent"], data=demand(title="停水", content="家里停水了")
    )

    assert DuplicateBand.objects.filter(ticket=t).count() == 0
    assert board.similar_tickets(province.users["fz_agent"], t)["near_duplicates"] == []


def test_a_caller_ringing_again_in_a_hot_topic_is_still_a_repeat(province):
    # 60 other callers with the same demand fill every band bucket past the 50 newest rows a
    # bucket lookup reads: the repeat check looks the caller up by phone, not by bucket.
    agent = province.users["fz_agent"]
    first, _ = lifecycle.register(by=agent, data=demand())
    for i in range(60):
        lifecycle.register(by=agent, data=demand(citizen_phone=f"1390000{i:04d}"))
    lifecycle.register(by=agent, data=demand(citizen_phone="+86-138-0000-0001"))
    assert not RepeatCase.objects.exists()  # twice is not yet a repeat
    third, _ = lifecycle.register(by=agent, data=demand())

    case = RepeatCase.objects.get()
    assert case.first_ticket == first
    assert case.hits.count() == 3
    assert RiskAlert.objects.get(kind=AlertKind.REPEAT).ticket == first
    assert third.number in board.repeat_list(agent)[0]["tickets"]
