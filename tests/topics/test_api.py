import pytest

from hotline.topics.models import Topic
from tests.api.helpers import assert_error, post, url

from .conftest import run_worker


def test_a_supervisor_creates_a_topic_and_follows_its_progress(client, province, past,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    client.force_login(province.users["fz_supervisor"])
    with django_capture_on_commit_callbacks(execute=True):
        r = post(client, "/topics", {"center": "fz", "name": "欠薪专项", "keywords": ["欠薪"],
                                     "limit_days": 3})  # fmt: skip
    assert r.status_code == 201, r.content.decode()
    assert (r.json()["progress"], r.json()["backfill_finished"], r.json()["tagged"]) == (
        0,
        False,
        0,
    )

    run_worker()
    body = client.get(url(f"/topics/{r.json()['id']}")).json()
    assert (body["progress"], body["backfill_finished"], body["tagged"]) == (100, True, 2)
    ledger = client.get(url(f"/topics/{body['id']}/tickets")).json()
    assert [row["ticket"] for row in ledger] == [past[2].number, past[0].number]


@pytest.mark.parametrize("username", ["xm_agent", "gl_housing_handler", "tj_housing_handler"])
def test_a_topic_outside_the_readers_centers_is_404(client, province, wage_topic, username):
    client.force_login(province.users[username])
    assert_error(client.get(url(f"/topics/{wage_topic.pk}")), 404, "not_found", "topic_id")
    assert_error(client.get(url(f"/topics/{wage_topic.pk}/tickets")), 404, "not_found",
                 "topic_id")  # fmt: skip
    assert client.get(url("/topics")).json() == []


def test_a_center_agent_lists_the_topic_but_cannot_create_one(client, province, wage_topic):
    client.force_login(province.users["fz_agent"])
    assert [t["name"] for t in client.get(url("/topics")).json()] == ["欠薪专项"]
    r = post(client, "/topics", {"center": "fz", "name": "另一个", "keywords": ["x"]})
    assert_error(r, 403, "forbidden")
    assert Topic.objects.count() == 1


def test_a_bad_rule_gets_a_clear_error_and_nothing_is_made(client, province):
    client.force_login(province.users["fz_supervisor"])
    r = post(client, "/topics", {"center": "fz", "name": "空规则"})
    assert_error(r, 400, "validation_error", "keywords")
    assert Topic.objects.count() == 0
