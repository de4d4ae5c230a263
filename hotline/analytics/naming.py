"""Naming a topic: its place and key phrases, from the words its members' titles share.

Only the topics shown are named, so jieba (with parts of speech: nouns, verbs, adjectives
and idioms; 几家, 有无 and 差不多 say nothing) runs on a few hundred titles, not on every
demand. A word's weight is the share of members whose title uses it times its rarity in all
demands; the rarity is estimated from the word's rarest character bigram (a word cannot be
in more demands than any of its bigrams), which the grouping counted already.
"""

import math
from collections import Counter
from functools import lru_cache

from hotline.knowledge.tokens import STOP_WORDS, _jieba
from hotline.text import normalize

from .places import common_place, places, strip_regions

PHRASES = 3
NAMING_MEMBERS = 200  # the newest members speak for a large topic
SAMPLES = 3
# jieba's tags worth naming a problem by: nouns (n…), verbal nouns, verbs, adjectives, idioms.
_TAGS = ("n", "vn", "v", "a", "an", "i", "l", "j")
_WEAK = frozenset({"问题", "反映", "投诉", "举报", "咨询", "建议", "请求", "要求", "希望", "关于",
                   "严重", "相关", "部门", "政府", "为什么", "怎么", "何时", "是否", "能否", "处理",
                   "解决", "存在", "没有", "进行", "影响", "情况", "一直", "市民", "居民", "业主"})  # fmt: skip


@lru_cache(maxsize=20_000)
def words(text: str) -> frozenset[str]:
    """The naming words of one title (cached: a topic's members often share their title)."""
    import jieba.posseg

    _jieba()  # the shared dictionary with the product's own words
    return frozenset(
        w.word for w in jieba.posseg.lcut(text)
        if len(w.word) >= 2 and w.flag.startswith(_TAGS) and w.word not in STOP_WORDS
        and w.word not in _WEAK and not w.word.isascii()
    )  # fmt: skip


def _rarity(word: str, vectors) -> float:
    n = vectors.size
    dfs = [df for a, b in zip(word, word[1:], strict=False)
           if (df := vectors.df_of(a + b)) is not None]  # fmt: skip
    df = min(dfs) if dfs else 1
    return math.log((1 + n) / (1 + df)) + 1


def phrases(texts: list[str], vectors, *, exclude: set[str] = frozenset(), k: int = PHRASES):
    """The k words that most members use and few other demands do."""
    share = Counter()
    for t in texts:
        share.update(words(t))
    scored = sorted(
        ((share[w] / len(texts)) * _rarity(w, vectors), w)
        for w in share
        if share[w] >= min(2, len(texts)) and not any(w in e or e in w for e in exclude)
    )
    chosen: list[str] = []
    for _, w in reversed(scored):
        if any(w in c or c in w for c in chosen):
            continue  # 搅拌 beside 搅拌站 says nothing new
        chosen.append(w)
        if len(chosen) == k:
            break
    return chosen


def name(topic, members, vectors) -> None:
    """Fill in the topic's place, phrases, title and samples from its member demands."""
    members = members[:NAMING_MEMBERS]
    titles = [m.title or m.text[:60] for m in members]
    texts = [strip_regions(normalize(t), m.region) for t, m in zip(titles, members, strict=True)]
    given = Counter(m.place for m in members if m.place)
    place = ""
    if given:
        place, n = given.most_common(1)[0]
        place = place if n >= max(2, 0.3 * len(members)) else ""
    place = place or common_place(titles)
    exclude = set(places(place)) | ({place} if place else set())
    topic.place = place
    topic.phrases = phrases(texts, vectors, exclude=exclude)
    head = " ".join(x for x in (topic.region, place) if x)
    topic.title = f"{head} · {' '.join(topic.phrases)}" if head else " ".join(topic.phrases)
    topic.samples = titles[:SAMPLES]
