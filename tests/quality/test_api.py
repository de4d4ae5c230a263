import pytest

from hotline.quality.models import ItemState, Sample, SampleItem, Score
from tests.api.helpers import assert_error, post, url

from .conftest import AFTER, FULL, MONTH, WEEK, frozen, lines


@pytest.fixture
def drawn(client, province, center, week_tickets):
    client.force_login(province.users["fz_reviewer"])
    with frozen(AFTER):
        r = post(client, "/quality/samples", {"center": "fz", "week": str(WEEK)})
    assert r.status_code == 201, r.content.decode()
    client.logout()
    return r.json()


def login(client, province, username):
    client.force_login(province.users[username])
    return client


def test_a_checker_draws_a_week_through_the_api(drawn):
    assert (drawn["center"], drawn["week"], drawn["agents"], drawn["items"]) == (
        "fz", "2026-03-02", 2, 4)  # fmt: skip


@pytest.mark.parametrize("username", ["fz_agent", "xm_agent", "fz_supervisor"])
def test_only_a_checker_of_the_center_draws_and_others_get_404(client, province, center,
                                                               week_tickets, username):  # fmt: skip
    with frozen(AFTER):
        r = post(login(client, province, username), "/quality/samples",
                 {"center": "fz", "week": str(WEEK)})  # fmt: skip

    assert_error(r, 404, "not_found", "center")
    assert Sample.objects.count() == 0


def test_a_draw_of_a_week_drawn_already_is_409(client, province, drawn):
    with frozen(AFTER):
        r = post(login(client, province, "fz_callback"), "/quality/samples",
                 {"center": "fz", "week": str(WEEK)})  # fmt: skip
    assert_error(r, 409, "illegal_transition", "week")


@pytest.mark.parametrize(
    "username, sees",
    [("fz_reviewer", 4), ("fz_agent", 0), ("fz_dispatcher", 0), ("xm_agent", 0),
     ("gl_housing_handler", 0)],
)  # fmt: skip
def test_items_are_listed_for_checkers_and_for_the_agent_only_when_scored(
    client, province, drawn, username, sees
):
    r = login(client, province, username).get(url("/quality/items"))
    assert r.status_code == 200
    assert len(r.json()) == sees


def test_the_agent_sees_only_their_own_items_and_appeals_once(client, province, drawn):
    item = SampleItem.objects.order_by("id").first()
    checker = item.checker.username
    r = post(login(client, province, checker), f"/quality/items/{item.pk}/score",
             {"lines": lines(attitude=10), "comment": "语气生硬"})  # fmt: skip
    assert r.status_code == 200 and r.json()["score"] == "90.00"

    for other in ["fz_dispatcher", "xm_agent", "gl_housing_handler"]:
        assert_error(login(client, province, other).get(url(f"/quality/items/{item.pk}")), 404)
    agent = login(client, province, "fz_agent")
    mine = agent.get(url("/quality/items?mine=true")).json()
    assert [i["id"] for i in mine] == [item.pk]
    assert_error(post(agent, f"/quality/items/{item.pk}/appeal", {"reason": ""}), 400,
                 "validation_error", "reason")  # fmt: skip
    r = post(agent, f"/quality/items/{item.pk}/appeal", {"reason": "用语符合规范，请复核"})
    assert r.json()["state"] == ItemState.APPEALED and r.json()["appeal"] == "pending"
    assert_error(post(agent, f"/quality/items/{item.pk}/appeal", {"reason": "再申诉一次"}), 409)
    second = "fz_callback" if checker == "fz_reviewer" else "fz_reviewer"
    assert_error(post(login(client, province, checker), f"/quality/items/{item.pk}/decide",
                      {"lines": FULL}), 403, "forbidden")  # fmt: skip
    r = post(login(client, province, second), f"/quality/items/{item.pk}/decide", {"lines": FULL})
    assert r.json()["state"] == ItemState.DECIDED and r.json()["appeal"] == "changed"
    assert [s["kind"] for s in r.json()["scores"]] == ["first", "second"]
    me = login(client, province, "fz_agent").get(url(f"/quality/me?month={MONTH}")).json()
    assert [(m["agent"], m["score"], m["appeals"]) for m in me] == [("fz_agent", "100.00", 1)]


def test_a_score_without_a_rubric_line_is_400_and_changes_nothing(client, province, drawn):
    item = SampleItem.objects.order_by("id").first()
    r = post(login(client, province, item.checker.username), f"/quality/items/{item.pk}/score",
             {"lines": [{"line": "no_such", "points": 1}]})  # fmt: skip
    assert_error(r, 400, "validation_error", "lines[0].line")
    assert Score.objects.count() == 0


@pytest.mark.parametrize(
    "username, status", [("fz_supervisor", 200), ("fz_reviewer", 200), ("prov_supervisor", 200),
                         ("fz_agent", 404), ("xm_agent", 404), ("gl_housing_handler", 404)],
)  # fmt: skip
def test_monthly_figures_are_for_the_center_and_above_only(client, province, drawn, username,
                                                           status):  # fmt: skip
    r = login(client, province, username).get(url(f"/quality/monthly?center=fz&month={MONTH}"))
    assert r.status_code == status
    if status == 200:
        assert (r.json()["items"], r.json()["scored"], r.json()["kappa"]) == (4, 0, None)


def test_the_api_needs_a_login(client, drawn):
    assert_error(client.get(url("/quality/items")), 401, "not_authenticated")
