"""The words a hot topic is named by come whole from the product's dictionary."""

from hotline.analytics.naming import words
from hotline.knowledge.tokens import tokenize


def test_inaction_is_one_word_not_作为():
    # "物业不作为" was named "作为 物业": jieba split 不 | 作为 and the naming kept the verb.
    assert "不作为" in words("东湖小区物业不作为")
    assert "作为" not in words("东湖小区物业不作为")
    assert {"不作为", "慢作为"} <= words("街道办不作为慢作为")
    assert "不作为" in tokenize("物业长期不作为")
