"""`hotline classify` (JSON lines contract) and `hotline routing train|evaluate`."""

import io
import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command


def classify(monkeypatch, lines: list[str]) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    call_command("classify")
    return [json.loads(x) for x in out.getvalue().splitlines()]


def test_one_output_per_line_in_order_bad_lines_get_an_error(monkeypatch, routed):
    lines = [
        json.dumps({"id": "a", "title": "电梯故障", "content": "台江区小区电梯坏了"}),
        "{not json",
        json.dumps({"id": "c", "title": "", "content": ""}),
        json.dumps({"id": "d", "title": 5, "content": "x"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "f", "title": "拖欠工资", "content": "A市A1区公司拖欠工资"}),
        json.dumps({"id": "g", "title": "🙂", "content": "字" * 50_000}),
    ]

    out = classify(monkeypatch, lines)

    assert [o.get("id") for o in out] == ["a", None, "c", "d", None, "f", "g"]
    assert out[0]["category"][0] == "01"
    assert out[0]["region"] == "350103"
    assert out[0]["units"][0]["code"] == "tj_housing"
    assert set(out[0]) == {"id", "category", "confidence", "region", "units"}
    assert [("error" in o) for o in out] == [False, True, True, True, True, False, False]
    assert out[5]["category"][0] == "15"
    assert out[5]["region"] is None  # anonymised places stay unknown
    assert out[5]["units"] == []


def test_train_and_evaluate_from_tickets_only(routed, tmp_path, settings):
    """Without the seed data the project's own dispatches are the training data."""
    from hotline.routing import store
    from hotline.tickets.models import Status
    from tests.tickets.factory import ticket_at

    settings.DATA_DIR = tmp_path / "no-data"
    settings.ROUTING_MODEL_DIR = str(tmp_path / "store")
    store.reset()
    demands = [
        ("gl_housing", "电梯故障", "小区电梯坏了，物业不修"),
        ("fz_hrss", "拖欠工资", "公司拖欠工资，社保不交"),
    ]
    for i in range(6):
        for lead, title, content in demands:
            ticket_at(routed, Status.DISPATCHED, lead=lead, title=f"{title}{i}", content=content)

    out = io.StringIO()
    call_command("routing", "train", stdout=out)
    assert "新模型已启用" in out.getvalue()
    out = io.StringIO()
    call_command("routing", "evaluate", stdout=out)
    assert "macro-F1" in out.getvalue()


DATA = Path(os.environ.get("HOTLINE_DATA_DIR", settings.DATA_DIR))


@pytest.mark.skipif(
    not (DATA / "messages_labeled.csv").exists(),
    reason="the real data (HOTLINE_DATA_DIR) is not on this machine",
)
def test_shipped_model_on_the_frozen_test_split(settings):
    """The shipped model on the 255 frozen test messages it never trained on (frozen.py)."""
    from hotline.routing import frozen, store, training

    settings.ROUTING_MODEL_DIR = str(store.PACKAGE_DIR)
    settings.DATA_DIR = DATA
    store.reset()
    examples = training.seed_examples()
    train, valid = training.split(examples)
    version, model = store.classifier()
    report = training.evaluate(model, valid)

    assert len(valid) == 255
    assert {e.key for e in valid} == {f"seed:{i}" for i in frozen.frozen_ids()}
    assert not {e.key for e in train} & {e.key for e in valid}
    assert store.metrics(version)["n_train"] == len(train) == 765
    # The floor is today's honest figure (0.857, docs/benchmarks.md) until the 0.93 goal is met.
    assert report["macro_f1"] >= 0.857
