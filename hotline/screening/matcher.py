"""Lexicon matching: one Aho-Corasick pass over the compacted text, one over its pinyin.

Views of a text, all after the rule-4 normaliser:
- compact: spaces and symbols dropped, so "跳 楼", "跳*楼", "跳　楼" (full width) all read
  "跳楼", and Latin pinyin spellings ("tiaolou", "tiao lou") read "tiaolou"; sentence
  punctuation stays as one "。", a barrier, so that "停放。火车站" does not read 放火;
- syllables: each CJK character as its toneless pinyin, for homophones ("跳搂", "自沙"), only
  for the words marked so (distinctive ones: 跳楼 yes, 跳河 no, since 一条河 reads the same);
  at least one character must be the word's own, so that a phrase of all-different characters
  (紫砂 for 自杀) is not taken for the word.
Context rules then drop hits that are no threat: inside an exclusion phrase (跳楼价), after a
negation that ends right before the word (我不会跳楼), or near a prevention/report word
(预防学生自杀, 新闻报道).
"""

import importlib.util
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick
import numpy as np

from hotline.text import compact, normalize  # rule 4

from .kinds import LEVEL_RANK, Category, Level

CJK = re.compile(r"[\u3400-\u9fff]")
PRIVATE_USE = 0xE000  # the sound view's syllable marks: U+E000 onwards, one per syllable
# Sentence punctuation stays as a barrier ("停放。火车站" is no 放火); other symbols go.
_SENTENCE = re.compile(r"[。，；！？,;!?]+")
_DROP = re.compile(r"[^\w。]+")  # and "_", a word character, by str.replace (no alternation)
NEGATIONS = ("不会", "不要", "不想", "不能", "不用", "没有", "没想过", "没有想过", "并非",
             "不是", "绝不", "从未", "从没", "不可能", "并不", "无意", "别")  # fmt: skip
# Negated-looking words that affirm: "不排除跳楼" is a threat.
AFFIRMING = ("不排除", "不惜", "不得不", "不如")
PRESSURE = "逼就"
PREVENTION = ("预防", "防止", "防范", "干预", "心理健康", "心理疏导", "心理咨询", "宣传",
              "讲座", "培训", "演练", "新闻", "报道", "电影", "电视剧", "小说", "案例",
              "科普", "救助热线", "劝阻", "救下", "救援", "禁止", "严禁")  # fmt: skip
PREVENTION_BEFORE, PREVENTION_AFTER = 12, 6
THREAT_LIKE = {Category.THREAT, Category.COLLECTIVE, Category.POLITICAL}


@dataclass(frozen=True)
class Term:
    term: str
    category: str
    level: str
    homophones: bool = False


@dataclass
class Hit:
    term: str
    category: str
    level: str
    at: int
    evasion: str = ""  # "", "split", "pinyin", "homophone"
    suppressed: str = ""  # "", "exclusion", "negation", "prevention"

    def as_dict(self) -> dict:
        d = {"term": self.term, "category": self.category, "level": self.level, "at": self.at}
        if self.evasion:
            d["evasion"] = self.evasion
        if self.suppressed:
            d["suppressed"] = self.suppressed
        return d


@dataclass
class Result:
    level: str = Level.NONE
    flags: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    suppressed: list[Hit] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "risk": str(self.level),
            "flags": self.flags,
            "hits": [h.as_dict() for h in self.hits],
            "suppressed": [h.as_dict() for h in self.suppressed],
        }


def _pinyin_table() -> dict[str, str]:
    """Every character's first reading without tone, from pypinyin's data file. Read while a
    matcher is built and then dropped: importing pypinyin keeps ~55 MiB in every worker, and
    a matcher needs only the characters that sound like its words."""
    origin = importlib.util.find_spec("pypinyin").origin  # finds the package, imports nothing
    with (Path(origin).parent / "pinyin_dict.json").open(encoding="utf-8") as f:
        raw = json.load(f)
    return {chr(int(cp)): _toneless(readings.split(",")[0]) for cp, readings in raw.items()}


def _toneless(syllable: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(c)
    )


class Matcher:
    """An immutable matcher for one lexicon version; build once, share between threads."""

    def __init__(self, terms: list[Term], version: int = 0):
        self.version = version
        self.words = ahocorasick.Automaton()
        self.sounds = ahocorasick.Automaton()
        full = _pinyin_table() if any(t.homophones for t in terms) else {}
        heard = []  # (syllables, entry) of the words matched by sound too
        for t in terms:
            word = compact(t.term)
            if not word:
                continue
            self._add(self.words, word, (word, t, ""))
            if not t.homophones or t.category == Category.EXCLUSION:
                continue
            chars = [c for c in word if CJK.match(c)]
            if len(chars) != len(word) or len(word) < 2:
                continue
            plain = [full.get(c, c) for c in word]
            latin = "".join(plain)
            if len(latin) >= 5:  # shorter spellings ("sha") hide inside ordinary Latin
                self._add(self.words, latin, (latin, t, "pinyin"))
            heard.append((plain, (word, t, "homophone")))
        # The sound view of a text has one character per character of the text: a private-use
        # character standing for its syllable where that syllable is in some word, "#"
        # elsewhere. It is one numpy lookup per text (a Python loop over the hundreds of
        # characters of a real demand cost more than all the rest of screening), and a key
        # matches adjacent characters only.
        needed = sorted({syllable for plain, _ in heard for syllable in plain})
        mark = {syllable: chr(PRIVATE_USE + i) for i, syllable in enumerate(needed)}
        self._sound_of = None
        if heard:
            self._sound_of = np.full(sys.maxunicode + 1, ord("#"), dtype=np.uint16)
            # Only the characters that sound like some word's syllable get a mark.
            for c, syllable in full.items():
                if syllable not in mark or not CJK.match(c):
                    continue
                self._sound_of[ord(c)] = ord(mark[syllable])
            for plain, entry in heard:
                self._add(self.sounds, "".join(mark[s] for s in plain), entry)
        for a in (self.words, self.sounds):
            if len(a):
                a.make_automaton()

    @staticmethod
    def _add(automaton, key, value):
        found = automaton.get(key, None)
        automaton.add_word(key, (found or ()) + (value,))

    def screen(self, *texts: str) -> Result:
        """Screen the texts (title, content …) as one; returns the level, flags and hits."""
        norm = normalize(" ".join(t for t in texts if t))
        text = matchable(norm)
        hits: list[Hit] = []
        excluded: list[tuple[int, int]] = []
        if len(self.words):
            for end, entries in self.words.iter(text):
                for key, t, evasion in entries:
                    start = end - len(key) + 1
                    if t.category == Category.EXCLUSION:
                        excluded.append((start, end))
                        continue
                    if evasion == "pinyin" and _inside_latin(text, start, end):
                        continue  # "zisha" inside "Zi Shan" is a name, not a word
                    if not evasion and t.term not in norm:
                        evasion = "split"
                    hits.append(Hit(t.term, t.category, t.level, start, evasion))
        if len(self.sounds):
            hits += self._homophones(text, hits)
        return self._judge(text, hits, excluded)

    def _homophones(self, text: str, literal: list[Hit]) -> list[Hit]:
        if self._sound_of is None or not text:
            return []
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        view = self._sound_of[codes].tobytes().decode("utf-16-le")
        seen = {(h.term, h.at) for h in literal}
        found = []
        for end, entries in self.sounds.iter(view):
            for word, t, _ in entries:
                at = end - len(word) + 1
                written = text[at : at + len(word)]
                same = sum(a == b for a, b in zip(written, word, strict=True))
                if same == 0 or written == word or (t.term, at) in seen:
                    continue
                seen.add((t.term, at))
                found.append(Hit(t.term, t.category, t.level, at, "homophone"))
        return found

    def _judge(self, text: str, hits: list[Hit], excluded) -> Result:
        result = Result()
        for h in sorted(hits, key=lambda h: h.at):
            end = h.at + len(compact(h.term)) - 1
            if any(s <= h.at and end <= e for s, e in excluded):
                h.suppressed = "exclusion"
            elif h.category in THREAT_LIKE:
                h.suppressed = _context(text, h.at, end)
            (result.suppressed if h.suppressed else result.hits).append(h)
        best = Level.NONE
        for h in result.hits:
            if LEVEL_RANK.get(h.level, 0) > LEVEL_RANK[best]:
                best = Level(h.level)
            if h.category not in result.flags:
                result.flags.append(h.category)
        if any(h.evasion for h in result.hits) and best == Level.NONE:
            best = Level.YELLOW
        result.level = best
        return result


def matchable(norm: str) -> str:
    """The compact view of normalised text, with one "。" where a sentence boundary was."""
    return _DROP.sub("", _SENTENCE.sub("。", norm)).replace("_", "")


def _inside_latin(text: str, start: int, end: int) -> bool:
    def latin(i):
        return 0 <= i < len(text) and "a" <= text[i] <= "z"

    return latin(start - 1) or latin(end + 1)


def _context(text: str, start: int, end: int) -> str:
    """Why a threat-like hit is no threat here, or ""."""
    before = text[max(0, start - 7) : start]
    if not any(a in before for a in AFFIRMING):
        for neg in NEGATIONS:
            i = before.rfind(neg)
            gap = before[i + len(neg) :] if i >= 0 else ""
            # "不会采取极端手段" is negated; "不要逼我跳楼" is a threat made under pressure.
            if i >= 0 and len(gap) <= 2 and not any(c in gap for c in PRESSURE):
                return "negation"
    window = text[max(0, start - PREVENTION_BEFORE) : end + 1 + PREVENTION_AFTER]
    if any(p in window for p in PREVENTION):
        return "prevention"
    return ""
