"""`hotline screen`: JSON lines in, JSON lines out in order; a bad line gets an error."""

import io
import json

import pytest
from django.core.management import call_command


def run(monkeypatch, kind, lines):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    out = io.StringIO()
    call_command("screen", kind=kind, stdout=out)
    return [json.loads(x) for x in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_demand_lines_in_order(monkeypatch):
    out = run(monkeypatch, "demand", [
        json.dumps({"id": "a", "title": "工资", "content": "再不给钱我就跳 楼"}),
        "not json",
        json.dumps({"id": "c", "title": "停水", "content": "家里停水两天了"}),
        json.dumps({"id": "d", "content": 5}),
        json.dumps([1, 2]),
    ])  # fmt: skip

    assert [o["id"] for o in out] == ["a", None, "c", "d", None]
    assert (out[0]["risk"], out[0]["flags"]) == ("red", ["threat"])
    assert out[0]["hits"][0] == {"term": "跳楼", "category": "threat", "level": "red", "at": 8,
                                 "evasion": "split"}  # fmt: skip
    assert out[2] == {"id": "c", "risk": "none", "flags": [], "hits": []}
    assert set(out[1]) == {"id", "error"}
    assert set(out[3]) == {"id", "error"}
    assert set(out[4]) == {"id", "error"}


@pytest.mark.django_db
def test_reply_lines(monkeypatch):
    out = run(monkeypatch, "reply", [
        json.dumps({"id": 1, "demand": "小区电梯坏了两周", "reply": "网友：您好！留言已收悉"}),
        json.dumps({"id": 2, "demand": "小区电梯坏了两周",
                    "reply": "经核实，物业已更换小区电梯主板，电梯已恢复运行。"}),
        json.dumps({"id": 3, "demand": "小区电梯坏了两周"}),
    ])  # fmt: skip

    assert out[0]["verdict"] == "block"
    assert out[0]["score"] == 60
    assert [r["code"] for r in out[0]["reasons"]] == ["ack_only"]
    assert {k: out[1][k] for k in ("id", "verdict", "reasons", "score")} == {
        "id": 2,
        "verdict": "pass",
        "reasons": [],
        "score": 100,
    }
    assert set(out[1]["scores"]) == {"relevance", "completeness", "explainability"}
    assert 0.0 <= out[1]["probability"] < 1.0
    assert set(out[2]) == {"id", "error"}
