"""The incident's live board and the worker's sweep."""

from hotline.incidents import board, grouping, tasks
from hotline.incidents.services import resolve_with_script
from tests.tickets.factory import demand

from .test_incidents import approved, declare
from .test_marking_grouping import register


def test_the_board_counts_first_contact_and_names_what_the_script_misses(p):
    incident = declare(p)
    approved(p, incident)
    resolve_with_script(
        by=p.users["fz_agent"],
        incident=incident,
        data=demand(channel="phone", appeal_type="consult", title="停水", content="何时来水"),
    )
    register(p, "停水后水压低", "停水恢复后水压很低，热水器打不着火")
    register(p, "停水后热水器", "停水以后热水器打不着火怎么办")
    assert tasks.sweep() == {"marked": 2, "replies_sent": 0, "escalated": 0}
    snap = board.snapshot(incident)
    assert (snap["total"], snap["at_intake"], snap["first_contact_share"]) == (3, 1, 0.3333)
    assert snap["per_hour"][0]["n"] == 3
    top = {q["word"]: q["n"] for q in snap["uncovered"]}
    assert top["热水器"] == 2
    assert "停水" not in top  # a keyword of the incident, covered by definition
    assert snap["script_version"] == 1
    assert snap["staffing"]["signed_in"] == 0


def test_words_common_in_ordinary_demands_are_not_the_surges_questions(p):
    # Before the incident: the center's ordinary demands speak of 家里 and 小区 all the time.
    register(p, "小区路灯不亮", "家里楼下小区路灯坏了很久")
    register(p, "小区噪音扰民", "家里附近小区晚上施工很吵")
    register(p, "小区垃圾清运", "家里门口小区垃圾没人清运")
    incident = declare(p)
    approved(p, incident)
    register(p, "停水后热水器", "家里小区停水以后热水器打不着火")
    register(p, "停水后热水器打不着", "小区停水恢复后家里热水器不能用")
    tasks.sweep()
    words = [q["word"] for q in board.snapshot(incident)["uncovered"]]
    assert "热水器" in words
    assert "小区" not in words and "家里" not in words
    assert "热水" not in words and "水器" not in words  # parts of a word already shown
    assert "不能" not in words  # asked once


def test_the_sweep_sends_a_groups_reply_once_approved(p, sms_file):
    from .test_marking_grouping import incident_tickets, reply_through

    incident, tickets = incident_tickets(p)
    grouping.group_tickets(by=p.users["fz_dispatcher"], incident=incident)
    reply_through(p, tickets[0])
    assert tasks.sweep()["replies_sent"] == 2
    assert board.snapshot(incident)["replies_sent"] == 2
