"""The learned levels 2 and 3 (levelmodel.py) and their training rows (levels_training.py)."""

import csv
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from hotline.routing import frozen, levelmodel, levels, services, taxonomy
from hotline.routing import levels_training as lt
from hotline.routing.classifier import Prediction
from hotline.routing.textprep import title_content

ROOT = Path(__file__).resolve().parents[2]
TUNE = ROOT / "docs" / "data" / "level_labels_tune.csv"
MORE = ROOT / "docs" / "data" / "level_labels_more.csv"  # the rest of the 765, training only
TEST = ROOT / "docs" / "data" / "level_labels.csv"
DATA = Path(os.environ.get("HOTLINE_DATA_DIR", django_settings.DATA_DIR))
needs_data = pytest.mark.skipif(
    not (DATA / "messages_labeled.csv").exists(),
    reason="the real data (HOTLINE_DATA_DIR) is not on this machine",
)

# 城乡建设 (01): 0102 城市建设和市政管理 vs 0110 住房保障与房地产; 交通运输 (06): 0601 出租车管理.
# None of these demands names its node's words, so the name rule is silent on all of them.
STREETS = [
    ("路灯坏了", f"{place}的路灯坏了一个月，晚上漆黑一片，请尽快修好。") for place in "东西南北中"
]
HOUSES = [
    ("物业乱收费", f"{place}小区物业公司乱收停车费，业主多次投诉无果。") for place in "东西南北中"
]


def _docs(pairs):
    return [title_content(t, c) for t, c in pairs]


def _tiny_model():
    docs = _docs(STREETS + HOUSES + [("出租车拒载", "出租车司机拒载还不打表。")])
    level2 = ["0102"] * 5 + ["0110"] * 5 + ["0601"]
    level3 = ["010204"] * 5 + ["011003"] * 5 + [""]
    return levelmodel.LevelModel().fit(docs, level2, level3)


def test_the_model_names_a_node_the_name_rule_cannot():
    model = _tiny_model()
    doc = title_content("路灯不亮", "北京路的路灯坏了，晚上很黑")
    assert taxonomy.rule_deeper("01", *doc) == (None, None)
    assert model.deeper("01", *doc) == ("0102", "010204")
    doc = title_content("物业收费", "物业公司乱收费")
    assert model.deeper("01", *doc) == ("0110", "011003")


def test_the_model_stays_under_the_first_level_and_the_rule_wins_where_it_speaks():
    model = _tiny_model()
    # 交通运输 has one trained child; the street-light words cannot pull it under 城乡建设.
    assert model.deeper("06", *title_content("路灯坏了", "路灯坏了"))[0] == "0601"
    # A level 1 with no trained child: nothing is invented.
    assert model.deeper("12", *title_content("路灯坏了", "路灯坏了")) == (None, None)
    # The rule's own hit (安全生产 is named) is kept.
    doc = title_content("安全生产", "工地安全生产管理混乱")
    rule2, _ = taxonomy.rule_deeper("01", *doc)
    assert rule2 == "0101" and model.deeper("01", *doc)[0] == "0101"
    # Level 3 is only ever a child of the level 2 given.
    for title, content in STREETS + HOUSES:
        level2, level3 = model.deeper("01", *title_content(title, content))
        assert level3 is None or taxonomy.tree()[level3].parent == level2


def test_category_codes_use_the_shipped_model_and_fall_back_to_the_rule(tmp_path, settings):
    settings.ROUTING_MODEL_DIR = str(tmp_path)
    unsure = Prediction(["城乡建设"], [0.5])
    sure = Prediction(["城乡建设"], [0.9])
    title, content = "路灯不亮", "北京路的路灯坏了，晚上很黑"
    levelmodel.save(_tiny_model(), tmp_path)
    assert levelmodel.path() == tmp_path / levelmodel.FILE
    assert services.category_codes(sure, title, content) == ["01", "0102", "010204"]
    assert services.category_codes(unsure, title, content) == ["01", None, None]
    # Replaced on disk: the next call loads the new file.
    docs = _docs(STREETS + HOUSES)
    flipped = levelmodel.LevelModel().fit(docs, ["0110"] * 5 + ["0102"] * 5, [""] * 10)
    levelmodel.save(flipped, tmp_path)
    assert services.category_codes(sure, title, content)[1] == "0110"


def test_without_a_model_anywhere_the_name_rule_decides(tmp_path, settings, monkeypatch):
    settings.ROUTING_MODEL_DIR = str(tmp_path)
    monkeypatch.setattr(levelmodel.store, "PACKAGE_DIR", tmp_path / "none")
    sure = Prediction(["城乡建设"], [0.9])
    assert levelmodel.current() is None
    assert services.category_codes(sure, "路灯不亮", "北京路的路灯坏了") == ["01", None, None]
    assert services.category_codes(sure, "安全生产", "工地安全生产管理混乱")[1] == "0101"


def test_rows_join_and_keep_weights():
    a, b = lt.Rows(), lt.Rows()
    a.add(("t", "c"), "0102", None)
    b.add(("t2", "c2"), "0110", "011003", 3.0)
    rows = lt.joined(a, b)
    assert rows.level2 == ["0102", "0110"] and rows.level3 == ["", "011003"]
    assert rows.weights == [1.0, 3.0]


def test_function_agreement_counts_the_deepest_mapped_code():
    gold = [["01", "0102", ""], ["01", "0110", "011003"], ["12", "", ""]]
    predicted = [["01", "0102", None], ["01", "0102", None], ["14", None, None]]
    # 0102 → urban both; 0110 unmapped → housing (01) against urban; health against education.
    assert levels.function_agreement(gold, predicted) == {"n": 3, "same": 1, "agreement": 0.3333}


@pytest.mark.parametrize("path", [TUNE, MORE], ids=["tune", "more"])
def test_the_hand_samples_are_apart_from_the_frozen_split(path):
    tune = levels.read_labels(path)
    ids = [r["id"] for r in tune]
    assert len(ids) >= 290 and len(set(ids)) == len(ids)
    assert not set(ids) & frozen.frozen_ids()
    assert not set(ids) & {r["id"] for r in levels.read_labels(TEST)}
    if path == MORE:
        assert not set(ids) & {r["id"] for r in levels.read_labels(TUNE)}
    nodes = taxonomy.tree()
    for r in tune:
        assert r["note"], r
        if r["level2"]:
            assert nodes[r["level2"]].level == 2 and nodes[r["level2"]].name != "其他", r
        if r["level3"]:
            assert nodes[r["level3"]].parent == r["level2"], r


@needs_data
@pytest.mark.parametrize("path", [TUNE, MORE], ids=["tune", "more"])
def test_hand_codes_sit_under_the_data_set_level1_label(path):
    with open(DATA / "messages_labeled.csv", encoding="utf-8", newline="") as f:
        level1 = {r["id"]: r["label"] for r in csv.DictReader(f)}
    codes = taxonomy.level1_codes()
    for r in levels.read_labels(path):
        if r["level2"]:
            assert taxonomy.tree()[r["level2"]].parent == codes[level1[r["id"]]], r


@needs_data
def test_distant_rows_never_hold_a_frozen_or_tuning_text():
    tune_ids = {r["id"] for r in levels.read_labels(TUNE)}

    class Sure:  # every pool message as 城乡建设, fully confident: the most rows possible
        def predict_many(self, items, reasons=0):
            return [Prediction(["城乡建设"], [1.0]) for _ in items]

    hand = ROOT / "docs" / "data" / "routing_labels.csv"
    known = lt.known_level1(DATA, hand, Sure(), tune_ids)
    with open(DATA / "messages_labeled.csv", encoding="utf-8", newline="") as f:
        tuning = {frozen.text_key(r["content"]) for r in csv.DictReader(f) if r["id"] in tune_ids}
    assert known
    for _title, content, level1 in known:
        assert not frozen.text_is_frozen(content)
        assert frozen.text_key(content) not in tuning
        assert level1 in taxonomy.level1_codes().values()
    rows = lt.distant_rows(known)
    assert len(rows.docs) < len(known)  # only where the name rule speaks
    assert all(taxonomy.tree()[c].level == 2 for c in rows.level2)
