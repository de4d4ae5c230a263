"""Reply review rules, one reason at a time."""

import pytest

from hotline.screening.duplicates import Signature, band_keys, scope_of, signature
from hotline.screening.lexicon import default_terms
from hotline.screening.matcher import Matcher
from hotline.screening.reply_review import id_checksum_ok, luhn_ok, review

MATCHER = Matcher(default_terms())
TITLE = "鼓楼区金色家园电梯故障"
CONTENT = "鼓楼区金色家园3号楼电梯停运两周，物业不修，老人上下楼困难。"
GOOD = "经核实，鼓楼区住建局已督促金色家园物业更换3号楼电梯主板，电梯已于11月20日恢复运行。"


def codes(body, **kw):
    kw.setdefault("title", TITLE)
    kw.setdefault("content", CONTENT)
    r = review(body, matcher=MATCHER, **kw)
    return r.verdict, [x.code for x in r.reasons]


CASES = [
    ("good", GOOD, {}, "pass", []),
    ("ack-only", "网友：您好！您的留言已收悉。感谢您对我们工作的支持！", {}, "block", ["ack_only"]),
    ("empty", "您好！2019年5月5日", {}, "block", ["no_substance"]),
    ("referral", "您好，关于电梯维修问题，请您直接联系物业公司或拨打0591-12345678咨询。", {},
     "warn", ["referral_only"]),
    ("transferred", "您好，您反映的金色家园电梯问题已转交鼓楼区住建局办理。", {},
     "warn", ["in_progress_only"]),
    ("platitude", "我局高度重视金色家园电梯问题，下一步将进一步加强监管，积极协调各方妥善处理。", {},
     "warn", ["platitude"]),
    ("irrelevant", "关于养老保险缴费基数调整，按照省人社厅通知，每年7月统一调整，可以在网上办理。",
     {}, "warn", ["irrelevant"]),
    ("stars", GOOD + "联系人：**", {}, "block", ["placeholder"]),
    ("xxx", GOOD.replace("鼓楼区住建局", "XXX局"), {}, "block", ["placeholder"]),
    ("brackets", GOOD + "【单位名称】", {}, "block", ["placeholder"]),
    ("empty-brackets", GOOD + "【 】", {}, "block", ["placeholder"]),
    ("doc-number-ok", GOOD + "依据榕政【2019】12号文件。", {}, "pass", []),
    ("citizen-phone", GOOD + "已电话联系13800000001告知。", {"citizen_phone": "13800000001"},
     "block", ["citizen_phone"]),
    ("other-mobile", GOOD + "物业经理电话13912345678。", {}, "warn", ["mobile_number"]),
    ("id-valid", GOOD + "业主身份证11010519491231002X。", {}, "block", ["id_number"]),
    ("id-bad-checksum", GOOD + "编号110105194912310021。", {}, "pass", []),
    ("bank-card", GOOD + "补偿款已打入6222020200112233446。", {}, "block", ["bank_card"]),
    ("card-bad-luhn", GOOD + "合同号6222020200112233441。", {}, "pass", []),
    ("rude", GOOD + "这事不归我们管。", {}, "block", ["sensitive"]),
    ("district", GOOD.replace("鼓楼区", "台江区"), {"districts": ("鼓楼区", "台江区")},
     "warn", ["region_mismatch"]),
    ("district-code", "经核实，A5区城管局已清理该路段垃圾并恢复保洁。", {"title": "A3区马路垃圾",
     "content": "A3区某路段垃圾堆积"}, "warn", ["region_mismatch"]),
    ("district-same", GOOD, {"districts": ("鼓楼区", "台江区")}, "pass", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "kw", "verdict", "reasons"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_reply_rules(body, kw, verdict, reasons):
    assert codes(body, **kw) == (verdict, reasons)


def test_score_drops_with_each_reason():
    assert review(GOOD, title=TITLE, content=CONTENT).score == 100
    assert review("网友：您好！留言已收悉", title=TITLE, content=CONTENT).score == 60


@pytest.mark.parametrize(
    ("number", "ok"),
    [("11010519491231002X", True), ("110105194912310021", False), ("440524188001010014", True)],
)
def test_id_checksum(number, ok):
    assert id_checksum_ok(number) is ok


@pytest.mark.parametrize(
    ("digits", "ok"),
    [("4539578763621486", True), ("4539578763621487", False), ("79927398713", True)],
)
def test_luhn(digits, ok):
    assert luhn_ok(digits) is ok


def test_signature_similarity_tracks_shared_text():
    a = signature("小区电梯长期故障", CONTENT)
    b = signature("小区电梯坏了", CONTENT.replace("两周", "半个月"))
    c = signature("咨询养老保险", "灵活就业人员怎么缴纳养老保险，每月缴多少？")

    assert a.similarity(a) == 1.0
    assert a.similarity(b) >= 0.5
    assert a.similarity(c) <= 0.2
    assert Signature.unpack(a.pack()) == a
    assert signature("", "短") is None


def test_band_keys_differ_by_city():
    sig = signature("", CONTENT)

    assert scope_of("350102") == "350100"
    assert set(band_keys(sig, "350100")).isdisjoint(band_keys(sig, "350200"))
    assert band_keys(sig, "350100") == band_keys(sig, "350100")
