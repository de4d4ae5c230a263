"""The reply labels kept in the repository, and the lexicon admin."""

import csv
from pathlib import Path

from hotline.screening.models import LexiconTerm, LexiconVersion

LABELS = Path(__file__).resolve().parents[2] / "docs" / "data" / "reply_labels.csv"


def test_reply_labels_are_well_formed():
    with LABELS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    assert len(rows) >= 200
    assert {r["label"] for r in rows} == {"ok", "send_back"}
    assert {r["sample"] for r in rows} == {"random", "short", "holdout"}
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["reason"].strip() for r in rows)


def test_admin_edit_is_a_new_version_that_screening_uses(client, province):
    from hotline.screening import services

    client.force_login(province.users["admin"])
    r = client.post(
        "/admin/screening/lexiconterm/add/",
        {"term": "讨个说法", "category": "collective", "level": "orange", "is_active": "on",
         "note": ""},
    )  # fmt: skip

    assert r.status_code == 302, r.content.decode()[:500]
    assert LexiconTerm.objects.filter(term="讨个说法").exists()
    assert LexiconVersion.objects.order_by("-number").first().summary == "管理后台新增：讨个说法"
    assert services.screen_demand("", "我们要去讨个说法").level == "orange"
