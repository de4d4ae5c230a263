"""Missing points: the demand set against the reply, point by point.

A reply-only learner cannot see that the citizen asked two things and got an answer to one
(docs/benchmarks.md: 0 of the 21 "missing points" send-backs of the labelled pool). Here the
demand is split into its points — numbered items (1、 2、 (一) ①), questions (a question mark,
是否 / 能否 / 何时 / 为什么 …), 请求 / 希望 / 要求 / 建议 clauses — and each point's content
words (jieba words that are not formulas, question words or the generic vocabulary of every
demand) are looked for in the reply. A point whose words the reply mostly leaves out is
unanswered, and names itself as the reason a unit can act on:
诉求第2点“……”未答复.

`coverage` gives each point's share of words taken up; `signals` the few numbers a learner
weighs (scripts/reply_cv.py, candidates "points-*"); `unanswered` the reason.
"""

import re
from dataclasses import dataclass
from functools import cache

from hotline.text import compact, normalize

# A numbered item's marker at the start of the text or after a stop, colon or space:
# "1、" "2." "(一)" "一、" "第二," (normalize has made ① a "1" and full-width brackets half-width).
_NUMBERED = re.compile(
    r"(?<![\d.])\d{1,2}、|(?:^|(?<=[。;:：!?\s，,)]))\s*(?:\d{1,2}\s*[.)](?!\d)|\(\s*[一二三四五六七八九十\d]{1,2}\s*\)|"
    r"[一二三四五六七八九十]{1,2}、|第[一二三四五六七八九十]{1,2}[,，、:：])"
)
_SENTENCE = re.compile(r"[^。!?;\n]+[。!?;]*")
ASKS = re.compile(
    r"\?|吗|请问|是否|能否|可否|能不能|可不可以|有没有|是不是|何时|什么时候|多久|为什么|为何|"
    r"怎么|怎样|如何|多少|哪里|哪个|哪些|谁|希望|要求|请求|恳请|请求|建议|呼吁|盼|望(?!月)|请(?!假)"
)
# Words every demand uses whatever it is about: no point is answered by repeating them.
_GENERIC = (
    "问题 情况 请问 咨询 反映 反应 希望 要求 请求 恳请 建议 呼吁 是否 能否 可否 可以 能不能 "
    "什么 怎么 怎样 如何 为什么 为何 何时 时候 多少 哪里 哪个 哪些 我们 你们 他们 自己 本人 "
    "现在 已经 没有 一个 这个 那个 这样 那样 这些 那些 领导 政府 相关 部门 有关 谢谢 您好 你好 "
    "尊敬 市民 网友 一下 知道 给予 解决 处理 尽快 还是 但是 因为 所以 如果 可能 应该 需要 进行 "
    "一直 多次 目前 强烈 严重 非常 真的 到底 究竟 还有 另外 同时 以及 并且 而且 就是 只是 "
    "不是 不能 不会 不要 希望 帮助 帮忙 关注 重视 考虑 答复 回复 明确 说明 解释 告知 了解 "
    "请予 予以 给个 一定 马上 立即 及时 能够 是不是 有没有 可不可以 存在 发生 出现 导致 "
    "问下 想问 想要 能否 书记 市长 县长 局长 主任 您们 大家 群众 百姓 老百姓 居民 业主"
)
GENERIC = frozenset(_GENERIC.split())
MIN_POINTS = 2  # one ask left out of one is no "missing point" but an unanswered demand
MAX_POINTS = 8
ANSWERED = 0.34  # share of a point's words the reply must take up (scripts/reply_cv.py)


@dataclass(frozen=True)
class Point:
    number: int  # 1-based, in the demand's order
    text: str
    words: tuple[str, ...]
    coverage: float  # share of `words` the reply takes up

    def label(self, width: int = 30) -> str:
        t = self.text.strip(" 。;,，:：")
        return t if len(t) <= width else t[:width] + "…"


@cache
def _tagger():
    import jieba.posseg

    from .reply_model import _tokenizer  # the scorer's own jieba, default dictionary only

    return jieba.posseg.POSTokenizer(_tokenizer())


def _tokenize(text: str, nouns: bool = False) -> list[str]:
    from .reply_model import _tokenizer

    if not nouns:
        return _tokenizer().lcut(text)
    # Nouns, verbal nouns, abbreviations, idioms and Latin words: what a point is about.
    return [w for w, flag in _tagger().lcut(text)
            if flag[:1] == "n" or flag in ("vn", "an", "eng", "j", "l", "i")]  # fmt: skip


def _strip_marker(text: str) -> str:
    return _NUMBERED.sub("", text, count=1).strip()


def points(title: str, content: str) -> list[str]:
    """The demand's points: its numbered items if it has two or more, else the sentences that
    ask something (the title when nothing in the content does)."""
    text = normalize(content)
    marks = list(_NUMBERED.finditer(text))
    found: list[str] = []
    if len(marks) >= MIN_POINTS:
        ends = [m.start() for m in marks[1:]] + [len(text)]
        for m, end in zip(marks, ends, strict=True):
            item = text[m.end() : end]
            # An item runs to the next marker, but a last item's trailing prose is not part of it.
            found.append(item if end != len(text) else _SENTENCE.match(item + "。").group(0))
    else:
        found = [s for s in _SENTENCE.findall(text) if ASKS.search(s)]
    found = [s.strip() for s in found if len(compact(s)) >= 4]
    if not found and compact(title):
        found = [normalize(title)]
    return found[:MAX_POINTS]


def content_words(text: str, nouns: bool = False) -> tuple[str, ...]:
    """A point's content words: jieba words of two characters or more that are not generic,
    not digits or dates, in order, without repeats."""
    seen: dict[str, None] = {}
    for w in _tokenize(compact(_strip_marker(text)), nouns):
        if len(w) >= 2 and w not in GENERIC and not re.fullmatch(r"[\d.]+|\d+[年月日号]", w):
            seen.setdefault(w, None)
    return tuple(seen)


def _taken_up(word: str, reply: str) -> bool:
    """The word itself, or (for three characters or more) most of its character pairs."""
    if word in reply:
        return True
    if len(word) < 3:
        return False
    pairs = [word[i : i + 2] for i in range(len(word) - 1)]
    return sum(p in reply for p in pairs) * 2 > len(pairs)


def coverage(reply: str, title: str, content: str, nouns: bool = False) -> list[Point]:
    """Each point of the demand and the share of its content words the reply takes up."""
    r = compact(reply)
    out = []
    for i, p in enumerate(points(title, content), 1):
        words = content_words(p, nouns)
        share = sum(_taken_up(w, r) for w in words) / len(words) if words else 1.0
        out.append(Point(i, p, words, round(share, 3)))
    return out


def unanswered(reply: str, title: str, content: str, answered: float = ANSWERED) -> list[Point]:
    """The points the reply leaves out, when the demand has two or more (else none)."""
    found = [p for p in coverage(reply, title, content) if p.words]
    if len(found) < MIN_POINTS:
        return []
    return [p for p in found if p.coverage < answered]


# A question of a kind wants an answer of that kind somewhere in the reply: (question, answer).
TYPED = (
    ("when", re.compile(r"何时|什么时候|多久|多长时间|哪天|时间表"),
     re.compile(r"\d{4}年|\d{1,2}月|\d{1,2}日|年底|月底|年内|工作日|天内|近期|暂无|尚未|未定|无法确定")),
    ("why", re.compile(r"为什么|为何|凭什么|什么原因|何故"),
     re.compile(r"因为|由于|原因|根据|依据|按照|规定|属于|系|导致|是因")),
    ("how much", re.compile(r"多少|几个|几户|几次|标准是|金额"),
     re.compile(r"\d|[一二三四五六七八九十百千万]+(元|个|户|次|人|平方|亩|米|天)")),
    ("yes or no", re.compile(r"是否|能否|可否|能不能|可不可以|是不是|有没有|合理吗|合法吗|吗\?"),
     re.compile(r"可以|不可以|能够|不能|不得|符合|不符合|属于|不属于|同意|不同意|不予|予以|没有|无|"
                r"已经|已|未|不存在|存在|合法|违法|合理|应当|需要|不需要")),
)  # fmt: skip


def typed_signals(reply: str, title: str, content: str) -> list[float]:
    """Per kind of question (when, why, how much, yes or no): asked and not answered in kind."""
    asked = points(title, content)
    text = normalize(reply)
    out = []
    for _kind, question, answer in TYPED:
        wanted = any(question.search(p) for p in asked)
        out.append(float(wanted and not answer.search(text)))
    return out


def reason_zh(point: Point) -> str:
    return f"诉求第{point.number}点“{point.label()}”未答复"


def signals(
    reply: str, title: str, content: str, answered: float = ANSWERED, nouns: bool = False
) -> list[float]:
    """For a learner: number of points, points left out (under ANSWERED and under half that),
    their share, the lowest and the mean coverage."""
    found = [p for p in coverage(reply, title, content, nouns) if p.words]
    if not found:
        return [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    cov = [p.coverage for p in found]
    missed = sum(c < answered for c in cov)
    several = len(found) >= MIN_POINTS
    return [
        float(len(found)),
        float(missed if several else 0),
        float(sum(c < answered / 2 for c in cov) if several else 0),
        missed / len(found) if several else 0.0,
        min(cov),
        sum(cov) / len(cov),
    ]
