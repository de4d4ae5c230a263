"""The classifier: odd input never breaks it, reasons are words, files round-trip."""

import pytest

from hotline.routing import store, taxonomy
from hotline.routing.textprep import MAX_CONTENT, clean


def model():
    return store.classifier()[1]


@pytest.mark.parametrize(
    "title, content",
    [
        ("", ""),
        ("   ", "\t\n"),
        ("\x00\x01\x07", "\x1b[31m\x7f"),
        ("🙂🙂🙂", "😡😡😡💢"),
        ("Unpaid wages", "My employer has not paid my salary for three months."),
        ("工资", "拖欠工资" * 12_500),  # 50,000 characters
        ("工资\u200b拖欠", "老板\x00拖欠\x0b工资🙂"),
    ],
    ids=["empty", "blank", "control", "emoji", "english", "very-long", "mixed"],
)
def test_odd_input_is_classified_or_left_unknown(title, content):
    p = model().predict(title, content)

    assert len(p.labels) == len(p.probs)
    assert all(0.0 <= x <= 1.0 for x in p.probs)
    if p.labels:
        assert abs(sum(p.probs) - 1.0) < 1e-3


def test_empty_input_has_no_category():
    p = model().predict("", "")

    assert p.label is None
    assert p.confidence == 0.0


def test_wage_demand_is_labour_with_decisive_words():
    p = model().predict("拖欠工资", "公司拖欠工资半年，社保也不交")

    assert p.label == "劳动和社会保障"
    assert p.confidence > 0.5
    assert "工资" in p.reasons or "社保" in p.reasons
    assert all(len(w) >= 2 for w in p.reasons)


def test_clean_removes_control_characters_and_bounds_length():
    assert clean("Ａ\x00ｂ\u200b 　C", 100) == "a b c"
    assert len(clean("字" * 60_000, MAX_CONTENT)) == MAX_CONTENT


def test_level_two_and_three_only_from_the_category_names():
    # 城乡建设/城市建设和市政管理/电梯? no such leaf; 公共汽车 is a leaf of 0102.
    level2, level3 = taxonomy.deeper("城乡建设", 0.9, "公共汽车", "公共汽车班次少")
    assert (level2, level3) == ("0102", "010206")
    assert taxonomy.deeper("城乡建设", 0.9, "电梯坏了", "电梯坏了") == (None, None)
    assert taxonomy.deeper("城乡建设", 0.3, "公共汽车", "公共汽车") == (None, None)


def test_saved_model_loads_with_the_same_predictions(tmp_path, settings):
    before = model().predict("噪音扰民", "工地夜间施工噪音")
    settings.ROUTING_MODEL_DIR = str(tmp_path)
    store.reset()
    version = store.save(model_from(settings), {"validation": {}}, make_current=True)

    after = store.classifier()[1].predict("噪音扰民", "工地夜间施工噪音")

    assert version == "v1"
    assert store.current_version() == "v1"
    assert after.labels == before.labels
    assert after.probs == before.probs


def model_from(settings):
    from hotline.routing.classifier import TextClassifier
    from tests.routing.conftest import tiny_examples

    rows = tiny_examples()
    return TextClassifier().fit([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def test_sample_weight_lets_pseudo_labels_count_for_less():
    """Pseudo-labelled examples (scripts/routing_cv.py) train with a small weight: wrongly
    labelled copies of a bus complaint pull its SVM score towards wages far less at weight
    0.01 than at 1; weight 1 everywhere is the unweighted model."""
    from hotline.routing.classifier import TextClassifier
    from hotline.routing.textprep import title_content

    bus, wages = ("公交线路", "公交车站牌损坏 公交线路调整"), ("拖欠工资", "老板拖欠工资")
    texts = [bus] * 5 + [wages] * 5 + [bus] * 10
    titles, contents = [t for t, _ in texts], [c for _, c in texts]
    y = ["交通运输"] * 5 + ["劳动和社会保障"] * 15

    def margin(weights):
        model = TextClassifier().fit(titles, contents, y, sample_weight=weights)
        scores = model.scores([title_content(*bus)])[1][0]
        k = list(model.classes).index("交通运输")
        return float(scores[k] - scores[1 - k])

    heavy, light = margin([1.0] * 20), margin([1.0] * 10 + [0.01] * 10)

    assert heavy == pytest.approx(margin(None), abs=1e-6)
    assert light > heavy + 1.0
