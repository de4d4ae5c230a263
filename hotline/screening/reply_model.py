"""Reply review, learned: should this reply go back to the unit? A probability, the sentence
that decides it, the rule it falls under, and the three TipDM 2020 scores.

The rules in reply_review.py catch what is certain (a bare "收悉", a placeholder, an ID number).
Whether a reply only passes the demand on, promises to "study" it, or sends the citizen to a
phone number without an answer is a judgement; a logistic regression over the reply's own
character 1–2-grams and jieba words plus a dozen rule signals makes it, trained on hand-labelled
real replies (tests/data/labels/replies.csv, tune split, and docs/data/reply_labels.csv; never the
frozen test split). Its threshold and features were chosen by five-fold CV on those 719
(scripts/train_reply_model.py; the candidates tried are in docs/benchmarks.md).
"""

import re
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from hotline.text import compact, normalize

from . import reply_store
from .kinds import Verdict
from .reply_review import (
    ID18,
    MOBILE,
    NO_ANSWER,
    PLACEHOLDER,
    PROGRESS,
    REFERRAL,
    RESULT,
    Reason,
    Review,
    decide,
    relevance,
    review,
    substance,
)

MODEL_FILE = reply_store.SHIPPED  # where scripts/train_reply_model.py writes the shipped one
C = 30.0  # five-fold CV on the 719: C 3 / 10 / 30 gave average precision 0.896 / 0.905 / 0.907
VAGUE = re.compile(
    r"将[^。，]{0,20}(考虑|研究|论证|参考|关注|统筹|完善|逐步|推进|加大)|"
    r"正在(研究|论证|编制|调研|协调|规划|交办)|(已|予以)?(收集|记录|汇报|上报|反馈)|尽快|争取"
)
TRANSFER = re.compile(
    r"转(交|至|办|入|给)?[^。]{0,25}(调查|核处|办理|处理|办复|答复|核实|研究)|已转|交办|移交"
)
CONTACT = re.compile(
    r"(咨询|联系|拨打|致电|访问|查看|反映|投诉)[^。]{0,30}(电话|热线|官网|网站|\d{5,})|请(您)?(直接)?(向|到|与)"
)
TRUNCATED = re.compile(r"(如下|链接)[：:]?$")
# A finished result ("电梯已恢复运行") answers the demand however short the reply: the scorer
# learned length too well. On the five-fold CV this guard changes no decision.
DONE = re.compile(
    r"已(经)?[^。，]{0,12}(恢复|完成|解决|整改到位|拆除|清理|修复|办结|发放|退还|关停|取缔|停业|补发|开通|安装)"
)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
# TipDM explainability: legal basis, time, responsible unit, next step (25 points each).
BASIS = re.compile(
    r"根据|依据|按照|依照|规定|条例|办法|通知|法》|第[一二三四五六七八九十\d]+条|〔\d{4}〕|\[\d{4}\]"
)
TIME = re.compile(r"\d{4}年|\d{1,2}月|\d{1,2}日|工作日|预计|将于|月底|年底|之前|以前完成|期限|近期")
UNIT = re.compile(
    r"[^，。]{1,12}(局|委|办|中心|公司|街道|镇政府|乡政府|社区|大队|支队|派出所|医院|学校|管理处|所)"
)
NEXT = re.compile(
    r"下一步|后续|将继续|请于|可到|可携带|可持|可拨打|联系电话|咨询电话|如有疑问|欢迎"
)
ASK = re.compile(
    r"[？?]|吗|请问|希望|要求|请求|建议|能否|是否|何时|什么时候|为什么|怎么|如何|多少|哪里"
)
COMMON = set("的了是在我们你您和与及对为有将已也就都不要请")


@dataclass(frozen=True)
class Scores:
    relevance: int
    completeness: int
    explainability: int

    def as_dict(self) -> dict:
        return {
            "relevance": self.relevance,
            "completeness": self.completeness,
            "explainability": self.explainability,
        }


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1) if not set(text[i : i + 2]) & COMMON}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text or "") if compact(s)]


def demand_points(title: str, content: str) -> list[str]:
    """What the citizen asks for: the title, and each sentence of the demand that asks."""
    points = [title] if compact(title) else []
    points += [s for s in sentences(normalize(content))[:12] if ASK.search(s)]
    return points[:6]


def tipdm_scores(reply: str, title: str, content: str) -> Scores:
    """Relevance, completeness and explainability, 0–100 each (TipDM 2020, problem C)."""
    text = normalize(reply)
    rel = min(100, round(relevance(reply, title, content) * 200))
    r = _bigrams(compact(text))
    points = demand_points(normalize(title), content)
    answered = 0
    for p in points:
        b = _bigrams(compact(p))
        # A point is taken up when the reply shares about a sixth of its distinctive bigrams.
        if b and len(b & r) >= max(1, round(0.15 * len(b))):
            answered += 1
    comp = round(100 * answered / len(points)) if points else 100
    parts = (BASIS.search(text), TIME.search(text), UNIT.search(text), NEXT.search(text))
    return Scores(rel, comp, 25 * sum(bool(p) for p in parts))


def signals(reply: str, title: str, content: str) -> list[float]:
    """The rule signals the model weighs beside the words."""
    s = substance(reply)
    n = max(1, len(sentences(s)))
    results = len(RESULT.findall(s))
    return [
        np.log1p(len(s)),
        np.log1p(len(reply)),
        results / n,
        float(results > 0),
        float(bool(PROGRESS.search(s))),
        float(bool(REFERRAL.search(s))),
        float(bool(VAGUE.search(s))),
        float(len(VAGUE.findall(s))),
        float(bool(TRANSFER.search(s))),
        float(bool(CONTACT.search(s))),
        relevance(s, title, content),
        float(len(re.findall(r"\d", s)) > 3),
        float(n),
        float(bool(TRUNCATED.search(compact(reply)[-6:]))),
        float(len(s) < 30),
        float(len(s) < 60),
        float(len(s) < 100),
    ]


def rule_of(reply: str) -> tuple[str, str, str]:
    """The rule a flagged reply falls under: (code, message_zh, message_en)."""
    s = substance(reply)
    if TRANSFER.search(s) and not RESULT.search(s):
        return (
            "transfer_only",
            "只称已转办或交办，没有办理结果",
            "only says it was passed on; no result",
        )
    if CONTACT.search(s) and not RESULT.search(s):
        return ("referral_only", "只让诉求人另找部门、电话或网站，未作答复",
                "sends the citizen elsewhere without answering")  # fmt: skip
    if VAGUE.search(s) and not RESULT.search(s):
        return ("vague_promise", "只有“将研究、考虑、争取”等原则表态，没有具体安排或时间",
                "only a promise to study or consider, no plan or date")  # fmt: skip
    if len(s) < 60:
        return (
            "too_thin",
            f"实质内容只有 {len(s)} 字，未回应诉求要点",
            "too little substance to answer",
        )
    return ("points_unanswered", "未回应诉求的主要问题或缺少办理结果",
            "the demand's main point is not answered")  # fmt: skip


_jieba_lock = threading.Lock()


@cache
def _tokenizer():
    """A jieba tokenizer of its own, with the default dictionary only: the words the scorer was
    trained on do not change when another module loads a user dictionary into jieba's global one."""
    import logging

    import jieba

    with _jieba_lock:
        jieba.setLogLevel(logging.WARNING)  # its dictionary-loading notes are no warnings
        t = jieba.Tokenizer()
        t.initialize()
    return t


def words_of(text: str) -> str:
    return " ".join(_tokenizer().lcut(text))


class ReplyScorer:
    """Fit with `fit`, use with `probability`; pickled whole (with its threshold) by the script.

    `words`: jieba words beside the character 1–2-grams (five-fold CV on the 719: recall at OOF
    precision >= 0.88 0.774 → 0.790 with C 10 → 30). A scorer pickled before words existed has no
    `wvec` and scores on characters alone."""

    def __init__(self, threshold: float = 0.5, words: bool = True):
        self.vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        self.wvec = (
            TfidfVectorizer(token_pattern=r"(?u)\S+", sublinear_tf=True, min_df=2)
            if words
            else None
        )
        self.model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
        self.threshold = threshold
        self.cv: dict = {}

    def _text(self, texts: list[str], fit: bool):
        chars = self.vec.fit_transform(texts) if fit else self.vec.transform(texts)
        wvec = getattr(self, "wvec", None)
        if wvec is None:
            return [chars]
        tokens = [words_of(t) for t in texts]
        return [chars, wvec.fit_transform(tokens) if fit else wvec.transform(tokens)]

    def _matrix(self, items, fit=False):
        texts = [substance(r) for r, _, _ in items]
        rules = csr_matrix(np.array([signals(r, t, c) for r, t, c in items], dtype=float))
        return hstack([rules, *self._text(texts, fit)]).tocsr()

    def fit(self, items: list[tuple[str, str, str]], y) -> "ReplyScorer":
        self.model.fit(self._matrix(items, fit=True), np.asarray(y, dtype=bool))
        return self

    def probability(self, items: list[tuple[str, str, str]]) -> np.ndarray:
        return self.model.predict_proba(self._matrix(items))[:, 1]

    def decisive_sentence(self, reply: str) -> str:
        """The reply's sentence whose words push hardest towards sending it back."""
        found = sentences(normalize(reply))
        if not found:
            return ""
        weights = self.model.coef_[0][len(signals("", "", "")) :]
        text = hstack(self._text([substance(s) for s in found], fit=False)).tocsr()
        push = np.asarray(text @ weights).ravel()
        return found[int(np.argmax(push))]


def load() -> ReplyScorer | None:
    """The active scorer (reply_store.py: a deployed retrain, else the shipped one), or None if
    there is none (rules alone then decide)."""
    found = reply_store.active()
    return found[1] if found else None


# Where a rule's reason points in the reply, so the page can mark the sentence.
_POINTS_AT = {
    "referral_only": REFERRAL,
    "in_progress_only": PROGRESS,
    "placeholder": PLACEHOLDER,
    "mobile_number": MOBILE,
    "citizen_phone": MOBILE,
    "id_number": ID18,
    "no_answer": NO_ANSWER,
}
HINT = "hint"  # a rule's warning the learned scorer overruled: shown, not counted


def _sentence_for(reason: Reason, found: list[str]) -> str:
    pattern = _POINTS_AT.get(reason.code)
    if pattern is None:
        return ""
    return next((s for s in found if pattern.search(s)), "")


def assess(
    reply: str, *, title: str = "", content: str = "", scorer: ReplyScorer | None = None, **rules
) -> Review:
    """The rules' review, decided between pass and warn by the learned scorer, with scores.

    A block stays a block. Otherwise the scorer's probability decides: at or above its
    threshold the reply is a warn with the rule it falls under and its decisive sentence; below,
    the rules' warnings stay visible as hints but do not send the reply back. `scorer` (a
    candidate being evaluated) replaces the active one.
    """
    result = review(reply, title=title, content=content, **rules)
    result.scores = tipdm_scores(reply, title, content).as_dict()
    found = sentences(normalize(reply))
    for r in result.reasons:
        r.sentence = r.sentence or _sentence_for(r, found)
    scorer = scorer or load()
    if scorer is None or not compact(reply):
        return result
    p = float(scorer.probability([(reply, title, content)])[0])
    result.probability = round(p, 3)
    if result.verdict == Verdict.BLOCK:
        return result
    # A result stated about something else answers nothing ("已责令物业公司完成整改" to a
    # demand for more public housing): the guard holds only where the reply touches the demand.
    relevant = all(r.code != "irrelevant" for r in result.reasons)
    done = DONE.search(substance(reply)) if relevant else None
    if p >= scorer.threshold and not done:
        code, zh, en = rule_of(reply)
        result.reasons.append(Reason(code, Verdict.WARN, zh, en, scorer.decisive_sentence(reply)))
    else:
        for r in result.reasons:
            r.severity = HINT if r.severity == Verdict.WARN else r.severity
        if p >= scorer.threshold:  # and so `done`
            # Without this a reviewer sees "可发出" beside a high send-back probability and
            # no word why; the claim of a finished result is what the callback must check.
            said = next((s for s in found if DONE.search(substance(s))), done.group(0))
            result.reasons.append(
                Reason(
                    "done_claimed",
                    HINT,
                    "退回概率较高，但答复称已有办理结果，未判退回；请回访时核实",
                    "likely to go back, but the reply states a result: not sent back; "
                    "check it at the callback",
                    said,
                )
            )
    decided = decide(result.reasons)
    result.verdict, result.score = decided.verdict, decided.score
    return result
