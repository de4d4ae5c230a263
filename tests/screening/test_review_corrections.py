"""Reviewers' corrections of the automatic reply review: stored when the reviewer decides
against it, never trained on when the reply is in the frozen test split; the retrain of the
reply scorer evaluates on that split and deploys atomically."""

import csv
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings

from hotline.routing import learning
from hotline.routing.models import ModelKind
from hotline.screening import reply_store, reply_training
from hotline.screening.lexicon import default_terms
from hotline.screening.matcher import Matcher
from hotline.screening.models import ReviewCorrection
from hotline.screening.reply_model import assess
from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

pytestmark = pytest.mark.django_db
TRANSFER_ONLY = "您反映的问题已转交相关部门调查处理。感谢您的留言。"
DONE = "已督促物业维修，电梯已恢复运行。"


def _replied(p, body):
    t = ticket_at(p, Status.IN_PROGRESS)
    return lifecycle.reply(ticket=t, by=p.users["gl_housing_handler"], body=body)


def test_a_flagged_reply_the_reviewer_approves_is_a_correction(province):
    t = _replied(province, TRANSFER_ONLY)

    lifecycle.approve_reply(ticket=t, by=province.users["fz_reviewer"])

    c = ReviewCorrection.objects.get()
    assert c.ticket == t
    assert c.review.body == TRANSFER_ONLY  # referenced through the review, not copied
    assert c.machine_verdict == "warn"
    assert c.send_back is False
    assert c.decided_by == province.users["fz_reviewer"]


def test_a_passed_reply_the_reviewer_sends_back_is_a_correction(province):
    t = _replied(province, DONE)

    lifecycle.reject_reply(ticket=t, by=province.users["fz_reviewer"], reason="未说明维修时间")

    c = ReviewCorrection.objects.get()
    assert (c.machine_verdict, c.send_back, c.frozen) == ("pass", True, False)


@pytest.mark.parametrize(
    "body, decide",
    [(TRANSFER_ONLY, "reject_reply"), (DONE, "approve_reply")],
    ids=["flagged-and-sent-back", "passed-and-approved"],
)
def test_agreeing_with_the_review_stores_nothing(province, body, decide):
    t = _replied(province, body)
    extra = {"reason": "未答复诉求要点"} if decide == "reject_reply" else {}

    getattr(lifecycle, decide)(ticket=t, by=province.users["fz_reviewer"], **extra)

    assert ReviewCorrection.objects.count() == 0


def _frozen_reply():
    path = Path(django_settings.DATA_DIR) / "replies.csv"
    if not path.is_file():
        pytest.skip("HOTLINE_DATA_DIR has no replies.csv")
    with path.open(encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    with reply_training.LABELS.open(encoding="utf-8") as f:
        test = [r["id"] for r in csv.DictReader(f) if r["split"] == "test"]
    m = Matcher(default_terms())
    for i in test:
        body = reply_training.clean(rows[i]["reply"])
        if 5 <= len(body) <= 600 and assess(body, matcher=m).verdict == "pass":
            return body
    raise AssertionError("no passing reply in the frozen split")


def test_a_correction_of_a_frozen_reply_never_trains_and_the_retrain_deploys_by_the_rule(
    province, settings, tmp_path
):
    settings.REPLY_MODEL_DIR = str(tmp_path / "store")
    reply_store.reset()
    body = _frozen_reply()
    t = _replied(province, body)
    lifecycle.reject_reply(ticket=t, by=province.users["fz_reviewer"], reason="未答复诉求要点")
    kept = _replied(province, TRANSFER_ONLY)
    lifecycle.approve_reply(ticket=kept, by=province.users["fz_reviewer"])
    assert ReviewCorrection.objects.get(ticket=t).frozen is True
    # A small base keeps the test fast; the figures are the bench's on all 500 frozen replies.
    items, y = reply_training.labelled()
    base = (items[::6], y[::6])

    v = learning.retrain_replies(base=base)

    assert (v.kind, v.version, v.active_version) == (ModelKind.REPLIES, "v2", "v1")
    assert v.n_excluded == 1
    assert v.n_corrections == 1
    assert v.n_train == len(base[1]) + 1
    assert v.n_test == 500
    m = Matcher(default_terms())
    assert reply_training.evaluate(reply_store.load_version("v2"), m).as_dict() == {
        k: v.figures[k] for k in ("n", "send_back", "tp", "fp", "fn", "precision", "recall", "f1")
    }
    active = reply_training.evaluate(reply_store.load_version("v1"), m)
    assert active.f1 == v.active_f1
    not_worse = v.f1 >= active.f1 and (v.precision >= 0.85 or active.precision < 0.85)
    assert v.deployed is not_worse
    assert reply_store.current_version() == ("v2" if not_worse else "v1")
    assert not list((tmp_path / "store").glob(".*.tmp"))


def test_a_deployed_scorer_is_used_by_the_review_without_a_restart(settings, tmp_path):
    settings.REPLY_MODEL_DIR = str(tmp_path)
    reply_store.reset()
    shipped = reply_store.active()[1]
    items = [(TRANSFER_ONLY, "", ""), (DONE, "", "")] * 5
    y = np.array([True, False] * 5)
    small = reply_training.ReplyScorer(threshold=0.99).fit(items, y)
    assert reply_store.active()[0] == "v1"

    reply_store.save(small, {}, deploy=True)

    version, scorer = reply_store.active()
    assert version == "v2"
    assert scorer is not shipped
    assert scorer.threshold == 0.99
