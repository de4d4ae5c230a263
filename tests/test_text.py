"""Rule 4's normaliser: `nfkc` is NFKC exactly, on every kind of text it takes a shortcut for
and on those it does not."""

import unicodedata

import pytest

from hotline.text import compact, nfkc, normalize

from .realdata import real_messages

CASES = [
    "",
    "普通的中文诉求，没有全角字母。",
    "全角：ＡＢＣ１２３（测试）！？　空格",
    "Ａ\u0301 全角字母后接组合重音",  # composes after narrowing
    "e\u0301 组合字符",
    "①②③ 带圈数字，ｶﾀｶﾅ 半角片假名，… 省略号",
    "\u2f08 康熙部首，\uf900 兼容汉字",
    "한국어 ㈜ ℃ ㎡ ﬁ",
    "～＼＂＇｀",
]


@pytest.mark.parametrize("text", CASES)
def test_nfkc_is_unicode_nfkc(text):
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_nfkc_matches_on_every_character_of_the_planes_in_use():
    # Each character alone and after a full-width letter (which composition could touch).
    for code in range(0x20, 0x30000):
        c = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        for text in (c, "Ａ" + c, c + "，"):
            assert nfkc(text) == unicodedata.normalize("NFKC", text), hex(code)


def test_nfkc_on_the_real_messages():
    for title, content in real_messages("messages_unlabeled.csv"):
        for text in (title, content):
            assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_normalize_and_compact():
    assert normalize("  跳　楼\t ＡＢＣ ") == "跳 楼 abc"
    assert compact("跳＊楼，Tiao Lou") == "跳楼tiaolou"
