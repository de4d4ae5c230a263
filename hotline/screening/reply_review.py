"""Reply review: is this answer fit to reach the citizen? pass / warn / block, with reasons.

Block (the handler must fix it): nothing but formulas ("留言已收悉"), placeholders left in,
personal data (an 18-digit ID number with a valid checksum, a bank card number passing Luhn,
the citizen's own phone number), abusive or dismissive words from the reply lexicon, harmful
political words. Warn (the reviewer decides): a referral only ("请联系…电话"), "in progress"
or "transferred" with no result, platitudes with little substance, an answer that does not
touch the demand, a district that contradicts the demand, a third party's mobile number.
"""

import re
from dataclasses import dataclass, field

from hotline.text import compact, normalize

from .kinds import Category, Verdict
from .matcher import Matcher

# Formulas every reply carries; what is left once they are gone is the substance.
BOILERPLATE = [
    r"(网友|市民|来信人|尊敬的)[^，,：:！!]{0,20}[：:，,]?",
    r"[\"“][^\"”]{0,20}[\"”][：:，,]?",
    r"(你|您)好[！!，,。]?",
    r"(您|你)?(的)?(在[^，。]{0,20})?(留言|来信|来电|诉求|问题)(已)?(收悉|收到)[。，！!,]?",
    r"(现将|现就|现)?[^。，]{0,10}(情况|问题)?(回复|答复)如下[：:]?",
    r"感谢(您|你)?(对我们工作)?的?(关心|支持|理解|监督|信任)[^。！!]{0,20}[。！!]?",
    r"特此(回复|答复|函复)[。！!]?",
    r"(此致|敬礼|谢谢)[。！!]?",
    r"\d{4}年\d{1,2}月\d{1,2}日",
    r"[\"“][^\"”]{0,60}[\"”]",  # the demand's title quoted back is not an answer
]
_BOILER = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE))
ACK = re.compile(r"收悉|已收到|收到您的")
REFERRAL = re.compile(
    r"(请|建议|可以|可)(您|你|你们)?(直接|可以|可)?(联系|咨询|致电|拨打|前往|到|向|走)|(诉讼|司法)(程序|途径)"
)
PROGRESS = re.compile(
    r"正在(办理|处理|调查|核实|研究|协调)|已(经)?(将[^。]{0,30})?(转|转交|转办|交由|交|移交|转至)|并(转|交)|已[^。]{0,8}(核处|办复)"
)
RESULT = re.compile(
    r"已(经)?(得到|完成|解决|修复|恢复|整改|处罚|查处|清理|拆除|发放|办结|到位)|经(调查|核实|查)|根据|按照|规定|可以(?!就|向|到|致电|拨打|联系|咨询|直接)|不能|不予|将于|预计|\d+(元|天|日|月|个)"
)
NO_ANSWER = re.compile(r"(不知道|不清楚|不了解)(是否|有没有|有无)|无法(答复|回复)")
TRUNCATED = re.compile(r"(回复|答复|转载)如下[：:]?$|链接[：:]?$")
PLATITUDES = ("高度重视", "认真研究", "加强监管", "进一步加强", "积极协调", "妥善处理", "下一步",
              "持续关注", "加大力度", "认真对待", "及时处理", "切实", "依法依规")  # fmt: skip
PLACEHOLDER = re.compile(
    r"\*{2,}|[Xx]{2,}|某某|【\s*(?:[^】\d]{0,8})?】|＿{2,}|_{3,}|此处填写|（(?:单位|姓名|名称)）"
)
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID18 = re.compile(
    r"(?<![\dXx])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx])"
)
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")
DISTRICT = re.compile(r"(?<![A-Za-z])[a-z]\d{1,2}[区县]")  # anonymised "A3区" (after lower())
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}[.-]\d{1,2}[.-]\d{1,2}")
OPENING = 120
ACK_SUBSTANCE_MIN = 15  # "留言已收悉" plus less than this is an acknowledgement only
SUBSTANCE_MIN = 6
POINTS = {Verdict.BLOCK: 40, Verdict.WARN: 15}


@dataclass
class Reason:
    code: str
    severity: str
    message_zh: str
    message_en: str
    sentence: str = ""  # the reply's sentence the reason points at, for the reviewer's page

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "sentence": self.sentence,
        }


@dataclass
class Review:
    verdict: str = Verdict.PASS
    score: int = 100
    reasons: list[Reason] = field(default_factory=list)
    probability: float | None = None  # the learned scorer's "send back" probability
    scores: dict = field(default_factory=dict)  # TipDM relevance, completeness, explainability

    def as_dict(self) -> dict:
        return {
            "verdict": str(self.verdict),
            "score": self.score,
            "reasons": [r.as_dict() for r in self.reasons],
            "probability": self.probability,
            "scores": self.scores,
        }


def id_checksum_ok(number: str) -> bool:
    """GB 11643 check digit of an 18-digit citizen ID number."""
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def substance(reply: str) -> str:
    """The reply without greetings, formulas, dates and punctuation."""
    return compact(_BOILER.sub("", normalize(reply)))


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def relevance(reply: str, title: str, content: str) -> float:
    """Share of the demand's bigrams (title counted first) that the reply takes up."""
    r = _bigrams(compact(reply))
    t, c = _bigrams(compact(title)), _bigrams(compact(content))
    if not t and not c:
        return 1.0
    score_t = len(t & r) / len(t) if t else 0.0
    score_c = len(c & r) / len(c) if c else 0.0
    return max(score_t, score_c)


def _personal_data(text: str, citizen_phone: str) -> list[Reason]:
    out = []
    phone = re.sub(r"\D", "", citizen_phone or "")
    for m in MOBILE.finditer(text):
        if phone and m.group(0) == phone[-11:]:
            out.append(Reason("citizen_phone", Verdict.BLOCK, "答复含诉求人本人手机号，泄露个人信息",
                              "the reply contains the citizen's own phone number"))  # fmt: skip
        else:
            out.append(Reason("mobile_number", Verdict.WARN, "答复含手机号码，请确认不是个人信息",
                              "the reply contains a mobile number; check it is not personal"))  # fmt: skip
    if any(id_checksum_ok(m.group(0)) for m in ID18.finditer(text)):
        out.append(Reason("id_number", Verdict.BLOCK, "答复含身份证号码",
                          "the reply contains an ID card number"))  # fmt: skip
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        is_id = len(digits) == 18 and ID18.fullmatch(digits)
        if len(digits) >= 16 and digits[0] in "3456" and luhn_ok(digits) and not is_id:
            out.append(Reason("bank_card", Verdict.BLOCK, "答复含银行卡号",
                              "the reply contains a bank card number"))  # fmt: skip
            break
    return out


def review(reply: str, *, title: str = "", content: str = "", citizen_phone: str = "",
           matcher: Matcher | None = None, regions: tuple[str, ...] = (),
           districts: tuple[str, ...] = ()) -> Review:  # fmt: skip
    """Check a reply against its demand. `regions`: the names of the ticket's region and its
    ancestors; `districts`: every county name known, to find them in the texts."""
    text = normalize(reply)
    reasons: list[Reason] = []
    core = substance(reply)
    dated = _DATE.sub("", text)  # "2019年5月7日" is no result
    if len(core) < ACK_SUBSTANCE_MIN and ACK.search(text):
        reasons.append(Reason("ack_only", Verdict.BLOCK, "仅告知留言已收悉，没有实质答复",
                              "acknowledgement only, no answer"))  # fmt: skip
    elif len(core) < SUBSTANCE_MIN:
        reasons.append(Reason("no_substance", Verdict.BLOCK, "答复没有实质内容",
                              "the reply has no substance"))  # fmt: skip
    else:
        has_result = bool(RESULT.search(dated))
        ref = REFERRAL.search(text)
        if ref and not has_result and len(core) < 60:
            reasons.append(Reason("referral_only", Verdict.WARN, "仅让诉求人另行联系其他部门或电话",
                                  "referral only: the citizen is sent elsewhere"))  # fmt: skip
        if PROGRESS.search(text) and not has_result and len(core) < 80:
            reasons.append(Reason("in_progress_only", Verdict.WARN,
                                  "只称“正在办理”或“已转办”，没有办理结果",
                                  "only 'in progress' or 'transferred', no result"))  # fmt: skip
        flat = sum(p in text for p in PLATITUDES)
        if flat >= 2 and not has_result and len(core) < 120:
            reasons.append(Reason("platitude", Verdict.WARN, "多为套话，缺少具体措施和结果",
                                  "mostly platitudes, no concrete measure or result"))  # fmt: skip
        # Bigram overlap is a weak signal on short answers: only a reply sharing next to
        # nothing with the demand is flagged.
        if (title or content) and relevance(reply, title, content) == 0:
            reasons.append(Reason("irrelevant", Verdict.WARN, "答复与诉求内容关联度低，可能答非所问",
                                  "the reply hardly touches the demand"))  # fmt: skip
    if TRUNCATED.search(compact(dated)[-8:]):
        reasons.append(Reason("truncated", Verdict.BLOCK, "答复不完整：称“答复如下”或给出链接但没有内容",
                              "the reply stops where its answer should begin"))  # fmt: skip
    if NO_ANSWER.search(text):
        reasons.append(Reason("no_answer", Verdict.WARN, "答复称不清楚、无法答复，未回应诉求",
                              "the reply says it cannot answer"))  # fmt: skip
    if PLACEHOLDER.search(text):
        reasons.append(Reason("placeholder", Verdict.BLOCK, "答复含未替换的占位符（**、XXX、【 】等）",
                              "a placeholder is left in the reply"))  # fmt: skip
    reasons += _personal_data(text, citizen_phone)
    reasons += _lexicon(reply, matcher)
    reasons += _district(text, normalize(title + content), regions, districts)
    return decide(reasons)


def _lexicon(reply: str, matcher: Matcher | None) -> list[Reason]:
    if matcher is None:
        return []
    found = matcher.screen(reply)
    words = {h.term for h in found.hits if h.category in (Category.REPLY, Category.POLITICAL)}
    if not words:
        return []
    shown = "、".join(sorted(words))
    return [Reason("sensitive", Verdict.BLOCK, f"答复含不当或敏感用语：{shown}",
                   f"the reply contains improper or sensitive words: {shown}")]  # fmt: skip


def _names(text: str, districts) -> set[str]:
    return {m.group(0) for m in DISTRICT.finditer(text)} | {d for d in districts if d in text}


def _district(reply: str, demand: str, regions, districts) -> list[Reason]:
    """A district or county named in the reply that is neither in the demand nor the ticket's."""
    # Only the opening, where the reply restates the demand: an office's address or a
    # neighbouring district named further on is no contradiction.
    said = _names(reply[:OPENING], districts)
    asked = _names(demand, districts) | set(regions)
    if not said or not asked or said & asked:
        return []
    other = "、".join(sorted(said))
    return [Reason("region_mismatch", Verdict.WARN, f"答复中的区县（{other}）与工单所属地区不符",
                   f"the reply names another district ({other}) than the ticket's")]  # fmt: skip


def decide(reasons: list[Reason]) -> Review:
    severities = {r.severity for r in reasons}
    verdict = (
        Verdict.BLOCK
        if Verdict.BLOCK in severities
        else Verdict.WARN
        if Verdict.WARN in severities
        else Verdict.PASS
    )
    score = max(0, 100 - sum(POINTS.get(r.severity, 0) for r in reasons))
    return Review(verdict, score, reasons)
