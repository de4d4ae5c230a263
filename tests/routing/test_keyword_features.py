"""The category-name features: every occurrence of every word counts, and a model pickled
before or after a use predicts the same."""

import pickle

import numpy as np
import pytest

from hotline.routing.keywords import KeywordFeatures

pytestmark = pytest.mark.django_db


def _by_hand(features: KeywordFeatures, text: str) -> np.ndarray:
    """Counted position by position from the word list itself, as the features promise."""
    out = np.zeros(features.size)
    words = [pair for bucket in features.by_prefix.values() for pair in bucket]
    for i in range(len(text)):
        for word, targets in words:
            if text.startswith(word, i):
                for t in targets:
                    out[t] += 1
    return out


def test_overlapping_and_nested_words_each_count():
    features = KeywordFeatures()
    words = {w for bucket in features.by_prefix.values() for w, _ in bucket}
    nested = next(w for w in sorted(words) if any(v != w and v in w for v in words))
    text = f"{nested}，又是{nested}。公交车停运，物业不修电梯"
    got = np.zeros(features.size)
    features._count(text, 1, got)
    assert got.sum() > 0
    assert np.array_equal(got, _by_hand(features, text))


def test_a_pickled_model_keeps_no_automaton_and_counts_the_same():
    features = KeywordFeatures()
    docs = [("公交车改线", "市区公交车改线后老人出行不便"), ("物业", "小区物业不修电梯")]
    before = features.transform(docs).toarray()
    state = pickle.dumps(features)
    assert b"_words" not in state
    again = pickle.loads(state)
    assert np.array_equal(again.transform(docs).toarray(), before)
