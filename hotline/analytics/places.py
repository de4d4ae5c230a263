"""Where a demand is: the region split into city and county, and place names in the text.

Place names are found by their endings (小区, 花园, 路, 学校 …) with the words that lead into
them (反映, 关于, 投诉 …) trimmed off. Many estates carry no such ending (保利大都汇, 海德公元):
those still count through the text similarity, which sees their characters, and a topic's
place falls back to the words most of its members share.
"""

import re
from collections import Counter

# Longer endings first, so that 街道 wins over 街 and 小学 over 学.
SUFFIXES = (
    "小区|花园|家园|公寓|新村|新城|社区|街道|大道|广场|大厦|大楼|学校|中学|小学|幼儿园|大学|学院|"
    "医院|市场|公园|高速|苑|府|路|街|巷|村|镇|乡|湾|城|园"
)
# A place often goes on with a generic part: 明昇壹城 + 小区, 富基世纪公园 + 二期.
_TAIL = re.compile(r"(?:小区|社区|花园|家园|公寓|[0-9一二三四五六七八九十]+期)")
_LEAD = re.compile(
    r"^(?:反映|投诉|举报|咨询|建议|关于|请问|请求|要求|希望|强烈|严重|位于|家住|居住|这个|有关|"
    r"附近|旁边|对面|门口|周边|我们|我|在|的|和|与|及|是|给|把|被|将|从|向|为|对|请|省|市|区|县)+"
)
_ENDING = re.compile(SUFFIXES)
# Characters that end a phrase rather than sit in a name: a place starts after the last one.
_BREAK = re.compile(r"^.*[的与等和并了到在是把被对我你他她这那有要让及或从向给后]")
_RUN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")
# Anonymised regions of the public data (A市, A5区, K9县) and the province.
_ANON_REGION = re.compile(r"[A-Za-z]\d*[市区县]|西地省")
_CITY = re.compile(r"^(.*?(?:市|州|盟|地区))(.*)$")
# Places too generic to name a topic by.
_GENERIC = frozenset({"小区", "社区", "公司", "学校", "医院", "市场", "公园", "城市", "农村", "中学",
                      "小学", "大学", "幼儿园", "新城", "家园", "花园", "公寓", "新村", "广场"})  # fmt: skip


_GENERIC_PART = re.compile(r"小区|社区|公寓|新村|[0-9一二三四五六七八九十]+期")


def generic_free(place: str) -> str:
    """A place without its generic parts: 丽发新城小区 and 金色家园小区 share no more than 小区."""
    return _GENERIC_PART.sub(" ", place)


def split_region(region: str) -> tuple[str, str]:
    """("福州市鼓楼区") → ("福州市", "鼓楼区"); a code "350102" → ("3501", "350102")."""
    region = (region or "").strip()
    if region.isdigit():
        return region[:4], region if len(region) > 4 and region[4:6] != "00" else ""
    m = _CITY.match(region)
    if m:
        return m.group(1), m.group(2)
    return "", region


def strip_regions(text: str, region: str = "") -> str:
    """Text without region names: they are in every demand of a place and say nothing."""
    text = _ANON_REGION.sub(" ", text)
    for part in split_region(region):
        if len(part) >= 2 and not part.isdigit():
            text = text.replace(part, " ")
    return text


def region_in_text(text: str) -> str:
    """The region a demand of the public data names first, e.g. "A市A5区" or "A7县"."""
    city = county = ""
    for m in _ANON_REGION.finditer(text):
        token = m.group()
        if token.endswith("市") and not city and not county:
            city = token
        elif token[-1] in "区县" and not county:
            county = token
    if county and not city and county[0].isalpha() and county[1:2].isdigit():
        city = county[0] + "市"  # the anonymisation names a city's counties A1区, A2区 …
    return city + county


def places(text: str) -> list[str]:
    """Place names in `text`, in order, e.g. "A2区丽发新城附近建搅拌站" → ["丽发新城", …].

    Each ending found (小区, 路 …) takes up to eight characters before it, cut at the last
    character that ends a phrase (的, 和, 在 …) and stripped of leading verbs (反映, 投诉 …).
    """
    text = _ANON_REGION.sub(" ", text)
    found = []
    for run in _RUN.finditer(text):
        s = run.group()
        taken = 0
        for m in _ENDING.finditer(s):
            if m.start() < taken:
                continue
            end = m.end()
            tail = _TAIL.match(s, end)
            if tail:
                end = tail.end()
            name = _LEAD.sub("", _BREAK.sub("", s[max(taken, m.start() - 8) : m.start()]))
            name += s[m.start() : end]
            if len(name) >= 3 and name not in _GENERIC and not name.endswith("政府"):
                found.append(name)
                taken = end
    return found


def common_place(texts: list[str], *, min_share: float = 0.3) -> str:
    """The place most of `texts` name (each text counted once), or ''."""
    counts = Counter()
    for t in texts:
        counts.update(set(places(t)))
    if not counts:
        return ""
    name, n = max(counts.items(), key=lambda kv: (kv[1], len(kv[0])))
    return name if n >= max(2, min_share * len(texts)) or len(texts) == 1 else ""
