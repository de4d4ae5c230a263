"""Two retrains at once (an admin's `hotline retrain` while the worker's weekly job runs) each
get their own model version: neither writes over the other's files, and both rows are kept."""

import json
import threading

import numpy as np
import pytest
from django.db import connection

from hotline import modelfiles
from hotline.routing import frozen, learning, store
from hotline.routing.models import ModelKind, ModelVersion
from hotline.screening import reply_store, reply_training
from tests.routing.test_retrain import _real_rows, _write

real_write_version = modelfiles.write_version


def _meet_before_writing(monkeypatch, parties: int = 2):
    """Both threads reach the write of their files before either writes: the moment two
    retrains that took the same number would write over each other (the real write follows)."""
    barrier = threading.Barrier(parties, timeout=120)

    def write_version(*args, **kwargs):
        barrier.wait()
        return real_write_version(*args, **kwargs)

    monkeypatch.setattr(modelfiles, "write_version", write_version)


def _run_together(target, n: int = 2) -> tuple[list, list]:
    results, errors = [None] * n, []

    def run(i):
        try:
            results[i] = target()
        except Exception as exc:  # noqa: BLE001 - the test reports whatever a thread raised
            errors.append(exc)
        finally:
            connection.close()  # the thread's own connection; the test database is dropped later

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_routing_retrains_at_once_get_two_versions(settings, tmp_path, monkeypatch):
    rows = _real_rows()
    ids = frozen.frozen_ids()
    test_rows = [r for r in rows if r["id"] in ids]
    base = [r for r in rows if r["id"] not in ids and len(r["content"]) < 1500][::4][:120]
    settings.DATA_DIR = _write(tmp_path / "data", test_rows + base)
    d = tmp_path / "store"
    settings.ROUTING_MODEL_DIR = str(d)
    store.reset()
    _meet_before_writing(monkeypatch)

    results, errors = _run_together(learning.retrain_routing)

    assert errors == []
    assert sorted(v.version for v in results) == ["v1", "v2"]
    assert set(ModelVersion.objects.filter(kind=ModelKind.ROUTING).values_list("version", flat=True)) == {"v1", "v2"}  # fmt: skip
    for v in ("v1", "v2"):
        assert json.loads((d / f"classifier-{v}.json").read_text())["version"] == v
        assert len(store.load(v, d).classes) == 7  # each model file is whole and loads
    assert sorted(p.name for p in d.iterdir()) == [
        "classifier-v1.joblib", "classifier-v1.json", "classifier-v2.joblib",
        "classifier-v2.json", "current.json",
    ]  # fmt: skip
    assert store.current_version(d) in {"v1", "v2"}


def test_two_reply_scorers_saved_at_once_get_two_versions(settings, tmp_path, monkeypatch):
    settings.REPLY_MODEL_DIR = str(tmp_path)
    reply_store.reset()
    items = [("您反映的问题已转交相关部门调查处理。", "", ""), ("电梯已恢复运行。", "", "")] * 5
    y = np.array([True, False] * 5)
    scorers = [reply_training.ReplyScorer(threshold=t).fit(items, y) for t in (0.3, 0.7)]
    _meet_before_writing(monkeypatch)
    queue = list(scorers)

    results, errors = _run_together(lambda: reply_store.save(queue.pop(), {}, deploy=True))

    assert errors == []
    assert sorted(results) == ["v2", "v3"]  # v1 is the scorer shipped in the package
    kept = {reply_store.load_version(v).threshold for v in results}
    assert kept == {0.3, 0.7}  # neither file was written over by the other
    for v in results:
        assert json.loads((tmp_path / f"reply-{v}.json").read_text())["version"] == v
    assert not list(tmp_path.glob("*.claim")) and not list(tmp_path.glob(".*.tmp"))
    assert reply_store.current_version() in {"v2", "v3"}


def test_a_version_number_is_claimed_once(tmp_path):
    # Two claims in a row, as two processes that listed the folder at the same moment would make.
    first = modelfiles.claim_version(tmp_path, "reply", floor=1)
    second = modelfiles.claim_version(tmp_path, "reply", floor=1)

    assert (first, second) == (2, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reply-v2.claim", "reply-v3.claim"]
