"""Learning from the center's corrections: stored on override, frozen texts never train,
a retrain deploys only a model that is not worse on the frozen split, versions for admins."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from hotline.routing import frozen, learning, store, training
from hotline.routing.models import DispatchCorrection, ModelKind, ModelVersion
from hotline.supervision import schedule
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at
from tests.web.helpers import as_user, text

REAL = Path(django_settings.DATA_DIR) / "messages_labeled.csv"
FIELDS = ["id", "title", "content", "label"]


def _real_rows() -> list[dict]:
    if not REAL.is_file():
        pytest.skip("HOTLINE_DATA_DIR has no messages_labeled.csv")
    with REAL.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / "messages_labeled.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows({k: r[k] for k in FIELDS} for r in rows)
    return path


def test_an_override_at_dispatch_stores_a_correction_that_references_the_ticket(routed):
    followed = ticket_at(routed, Status.DISPATCHED, lead="gl_housing")
    overridden = ticket_at(routed, Status.DISPATCHED, lead="fz_hrss")  # an elevator to 人社局

    c = DispatchCorrection.objects.get()
    assert c.ticket == overridden
    assert c.decision.ticket == overridden
    assert c.suggested_unit == "gl_housing"
    assert c.suggested_category == "城乡建设"
    assert c.final_unit.code == "fz_hrss"
    assert c.label == "劳动和社会保障"
    assert c.frozen is False
    assert not DispatchCorrection.objects.filter(ticket=followed).exists()
    examples, excluded = learning.correction_examples()
    assert examples[f"ticket:{overridden.number}"].label == "劳动和社会保障"
    assert examples[f"ticket:{overridden.number}"].content == overridden.content
    assert excluded == 0


def test_a_category_other_than_the_predicted_one_is_a_correction_too(routed):
    from hotline.catalog.models import Category

    cat = Category.objects.create(code="04", name="环境保护", level=1, full_name="环境保护")
    t = ticket_at(routed, Status.DISPATCHED, lead="gl_housing", category=cat)

    c = DispatchCorrection.objects.get(ticket=t)
    assert c.decision.accepted is True  # the unit was the suggested one
    assert (c.suggested_category, c.label) == ("城乡建设", "环境保护")


def test_a_correction_of_a_frozen_text_is_marked_and_never_trains(routed, settings, tmp_path):
    frozen_id = sorted(frozen.frozen_ids())[0]
    content = "鼓楼区某小区门口的公交站牌被撞坏多日，至今无人修复，候车乘客很不方便。"
    rows = [
        {"id": frozen_id, "title": "公交站牌损坏", "content": content, "label": "交通运输"},
        {"id": "not-frozen-1", "title": "拖欠工资", "content": "公司拖欠工资", "label": "x"},
    ]
    settings.DATA_DIR = _write(tmp_path / "data", rows)
    t = ticket_at(routed, Status.DISPATCHED, lead="fz_hrss", title="公交站牌", content=content)
    c = DispatchCorrection.objects.get(ticket=t)

    assert c.frozen is True
    assert learning.correction_examples() == ({}, 1)
    assert f"ticket:{t.number}" not in {e.key for e in training.ticket_examples()}
    # The mark is a record; the guard at training looks at the text again.
    DispatchCorrection.objects.filter(pk=c.pk).update(frozen=False)
    assert learning.correction_examples() == ({}, 1)


def test_retrain_deploys_a_model_not_worse_and_keeps_a_worse_one_aside(routed, settings, tmp_path):
    rows = _real_rows()
    ids = frozen.frozen_ids()
    test_rows = [r for r in rows if r["id"] in ids]
    rest = [r for r in rows if r["id"] not in ids and len(r["content"]) < 1500]
    base, spare = rest[::4][:120], rest[1::4]
    settings.DATA_DIR = _write(tmp_path / "data", test_rows + base)
    settings.ROUTING_MODEL_DIR = str(tmp_path / "store")
    store.reset()

    out = io.StringIO()
    call_command("retrain", "routing", stdout=out)
    first = ModelVersion.objects.get(kind=ModelKind.ROUTING, version="v1")
    assert first.deployed is True
    assert first.n_test == 255
    assert first.n_train == 120
    assert "派单分类 v1：训练样本 120" in out.getvalue()
    assert "现用版本 无；首个版本，直接启用" in out.getvalue()

    same = learning.retrain_routing()  # the same data again: the same figure, not worse
    assert (same.version, same.deployed, same.active_version) == ("v2", True, "v1")
    assert same.f1 == same.active_f1 == first.f1
    assert store.current_version() == "v2"

    # Dispatchers send 40 demands that are not about labour to 人社局: corrupted corrections.
    for r in [r for r in spare if r["label"] != "劳动和社会保障"][:40]:
        ticket_at(routed, Status.DISPATCHED, lead="fz_hrss", title=r["title"], content=r["content"])
    n = DispatchCorrection.objects.filter(label="劳动和社会保障", frozen=False).count()
    assert n >= 30

    worse = learning.retrain_routing()

    assert worse.version == "v3"
    assert worse.n_corrections == n
    assert worse.f1 < worse.active_f1 == same.f1
    assert worse.deployed is False
    assert worse.reason.startswith("低于现用版本 v2")
    assert store.current_version() == "v2"
    assert store.classifier()[0] == "v2"
    # The figures are the bench's: training.evaluate on the frozen split.
    test = [e for e in training.seed_examples() if frozen.is_frozen(e.key)]
    assert training.evaluate(store.load("v3"), test)["macro_f1"] == worse.f1
    assert worse.figures["labels"] == training.evaluate(store.load("v3"), test)["labels"]


def test_a_deploy_is_seen_by_a_process_that_loaded_the_old_model(settings, tmp_path):
    from tests.routing.conftest import tiny_examples

    settings.ROUTING_MODEL_DIR = str(tmp_path)
    store.reset()
    rows = tiny_examples()
    model = training.TextClassifier().fit(*zip(*rows, strict=True))
    store.save(model, {}, make_current=True)
    assert store.classifier()[0] == "v1"
    # Another process deploys v2: only the files change, this process's cache is not reset.
    other = training.TextClassifier().fit(*zip(*rows[::-1], strict=True))
    from hotline.modelfiles import atomic_write

    store.save(other, {}, make_current=False)
    atomic_write(tmp_path / "current.json", lambda p: p.write_text('{"version": "v2"}'))

    assert store.classifier()[0] == "v2"
    assert not list(tmp_path.glob(".*.tmp"))


def test_retrain_without_the_frozen_split_says_so(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "nothing"

    with pytest.raises(Exception, match="冻结测试集不可用") as err:
        call_command("retrain", "routing")
    assert "messages_labeled.csv" in str(err.value)
    assert ModelVersion.objects.count() == 0


def test_the_worker_retrains_weekly():
    job = next(j for j in schedule.declared() if j.name == "retrain_weekly")

    assert job.every == 7 * 24 * 3600
    assert job.target == "hotline.routing.learning.retrain_weekly"
    assert schedule.resolve(job) is not None


def _version():
    return ModelVersion.objects.create(
        kind=ModelKind.ROUTING, version="v7", trained_at="2026-12-06T08:00:00Z", n_train=900,
        n_corrections=12, n_test=255, f1=0.8612, precision=0.8701, recall=0.8533,
        active_version="v6", active_f1=0.8574, deployed=True, reason="不低于现用版本 v6",
    )  # fmt: skip


def test_admins_see_the_model_versions_with_their_figures(client, province):
    _version()

    page = text(as_user(client, province, "admin").get("/admin/routing/modelversion/"))

    for figure in ("v7", "0.8612", "0.8701", "0.8533", "0.8574", "不低于现用版本 v6"):
        assert figure in page


@pytest.mark.parametrize("username", ["fz_dispatcher", "fz_admin_staff"])
def test_others_do_not_see_the_model_versions(client, province, username):
    from hotline.orgs.models import User

    _version()
    if username == "fz_admin_staff":  # staff, but without the permission to view versions
        province.users[username] = User.objects.create(username=username, is_staff=True)

    r = as_user(client, province, username).get("/admin/routing/modelversion/")

    assert r.status_code == (302 if username == "fz_dispatcher" else 403)
    assert "0.8612" not in text(r)


def test_the_weekly_job_learns_only_new_corrections_into_a_configured_folder(
    routed, settings, tmp_path
):
    rows = _real_rows()
    ids = frozen.frozen_ids()
    small = [r for r in rows if r["id"] in ids] + [r for r in rows if r["id"] not in ids][::10]
    settings.DATA_DIR = _write(tmp_path / "data", small)
    settings.ROUTING_MODEL_DIR = None  # the package's folder: the job never writes there
    settings.REPLY_MODEL_DIR = str(tmp_path / "replies")
    ticket_at(routed, Status.DISPATCHED, lead="fz_hrss")  # one correction

    assert learning.retrain_weekly() == []

    settings.ROUTING_MODEL_DIR = str(tmp_path / "store")
    store.reset()
    assert learning.retrain_weekly() == ["routing v1 deployed"]  # replies: nothing new
    assert learning.retrain_weekly() == []  # nothing new since v1
    assert ModelVersion.objects.get().n_corrections == 1
