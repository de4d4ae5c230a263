"""Missing points: the demand's points set against the reply (hotline/screening/reply_points.py),
on small hand-written demand/reply pairs."""

import pytest

from hotline.screening import reply_points as rp

TITLE = "咨询安沙镇立面改造和风雨走廊"
NUMBERED = (
    "我是安沙镇居民，有两个问题：1、安沙镇三点一线的立面改造是否已经竣工验收？"
    "2、风雨走廊什么时候开工建设，预计何时完工？"
)
BOTH = (
    "经核实，安沙镇三点一线立面改造已于2015年6月10日竣工验收。"
    "风雨走廊计划明年3月开工建设，预计年底完工。"
)
FIRST_ONLY = (
    "经核实，安沙镇三点一线立面改造由楚华建设公司施工，2014年5月开工，"
    "已于2015年6月10日竣工验收，除极少数住户外已全部完成改造。"
)
QUESTIONS = "我想了解贫困户是不是同时可以享受低保？在互联网上怎么查不到低保户名单的公示信息？"
LOW_ONLY = "贫困户符合低保条件的，可以同时享受低保，两者不冲突。"
LOW_AND_LIST = LOW_ONLY + "低保户名单在各村、社区公示栏公示，互联网上不公示低保户的个人信息。"


def test_numbered_items_are_the_points():
    # Given a demand with two numbered questions
    found = rp.points(TITLE, NUMBERED)
    # Then each item is one point, without its marker
    assert len(found) == 2
    assert "立面改造" in found[0] and "风雨走廊" in found[1]
    assert not found[1].startswith("2")


def test_question_sentences_are_the_points_when_nothing_is_numbered():
    found = rp.points("", QUESTIONS)
    assert len(found) == 2
    assert "低保" in found[0] and "互联网" in found[1]


def test_title_is_the_point_when_the_content_asks_nothing():
    assert rp.points("请求修复金色家园电梯", "3号楼电梯停运两周了。") == ["请求修复金色家园电梯"]


@pytest.mark.parametrize(
    "content, reply, missing",
    [
        (NUMBERED, FIRST_ONLY, [2]),  # the 风雨走廊 item is left out
        (NUMBERED, BOTH, []),
        (QUESTIONS, LOW_ONLY, [2]),  # where the list is published is left out
        (QUESTIONS, LOW_AND_LIST, []),
    ],
)
def test_a_point_left_out_is_found_and_an_answered_one_is_not(content, reply, missing):
    # When the reply is set against the demand
    found = rp.unanswered(reply, TITLE, content)
    # Then exactly the points it leaves out are named, by their number in the demand
    assert [p.number for p in found] == missing


def test_the_reason_names_the_point_a_unit_can_act_on():
    (point,) = rp.unanswered(FIRST_ONLY, TITLE, NUMBERED)
    reason = rp.reason_zh(point)
    assert reason.startswith("诉求第2点“") and reason.endswith("”未答复")
    assert "风雨走廊" in reason


def test_one_point_alone_is_never_a_missing_point():
    # Given a demand with one ask and a reply about something else
    content = "金色家园3号楼电梯停运两周，希望尽快修复电梯。"
    # Then there is no "missing point" (that is an irrelevant reply, another rule's business)
    assert rp.unanswered("关于养老保险缴费基数，每年7月统一调整。", "", content) == []


def test_signals_count_the_points_left_out():
    left_out = rp.signals(FIRST_ONLY, TITLE, NUMBERED)
    answered = rp.signals(BOTH, TITLE, NUMBERED)
    assert left_out[0] == answered[0] == 2.0  # two points
    assert left_out[1] == 1.0 and answered[1] == 0.0  # one left out, none
    assert left_out[4] < rp.ANSWERED <= answered[4]  # the lowest coverage


def test_a_question_wants_an_answer_of_its_kind():
    # Given a demand asking when, and why
    content = "风雨走廊什么时候开工？为什么拖了两年还没动工？"
    kinds = [k for k, _, _ in rp.TYPED]
    # When the reply gives neither a date nor a reason
    vague = rp.typed_signals("风雨走廊项目我们正在积极推进。", "", content)
    # Then both kinds are marked as unanswered; a dated reply with its cause answers both
    assert vague[kinds.index("when")] == vague[kinds.index("why")] == 1.0
    full = rp.typed_signals("由于征地未完成，风雨走廊将于2025年3月开工。", "", content)
    assert full[kinds.index("when")] == full[kinds.index("why")] == 0.0
