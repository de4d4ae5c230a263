"""The fast character 1–2-gram transform (hotline/routing/ngrams.py) gives scikit-learn's matrix."""

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from sklearn.feature_extraction.text import TfidfVectorizer

from hotline.routing import ngrams, store

DATA = Path(os.environ.get("HOTLINE_DATA_DIR", django_settings.DATA_DIR))

ODD = [
    "",
    "A",
    "公交",
    "Ａ市  公交\t\t车  ＫＴＶ噪音  ",
    "电梯坏了！！！\n\n\n物业不管",
    "emoji 😀😀 和 e市 ",
    "  前后空白  ",
    "ＡＢＣabc大小写",
    "孤立代理\ud800字",
    "\x00零字符",
]


def assert_same(vec, docs):
    fast, slow = ngrams.transform(vec, docs), vec.transform(docs)
    assert fast.shape == slow.shape
    assert fast.dtype == slow.dtype
    assert np.array_equal(fast.indptr, slow.indptr)
    assert np.array_equal(fast.indices, slow.indices)
    np.testing.assert_allclose(fast.data, slow.data, rtol=1e-12)


@pytest.mark.parametrize("min_df", [1, 2])
def test_same_matrix_as_scikit_learn_on_awkward_texts(min_df):
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=min_df)
    vec.fit(ODD + ODD[3:])
    assert_same(vec, ODD + ["从没见过的字", "公交公交公交"])


def test_other_set_ups_go_to_scikit_learn():
    for vec in (
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3)),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2)),
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2), binary=True),
        TfidfVectorizer(token_pattern=r"(?u)\S+"),
    ):
        vec.fit(ODD)
        assert not ngrams._is_plain_char_12(vec)
        assert_same(vec, ODD)


def test_shipped_model_sees_the_same_features_on_real_messages():
    path = DATA / "messages_unlabeled.csv"
    if not path.exists():
        pytest.skip("needs HOTLINE_DATA_DIR (the real messages)")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[:400]
    _version, model = store.classifier()
    assert ngrams._is_plain_char_12(model.title_vec)
    assert ngrams._is_plain_char_12(model.content_vec)
    assert_same(model.title_vec, [r["title"] for r in rows])
    assert_same(model.content_vec, [r["content"] for r in rows])
