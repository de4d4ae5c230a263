"""The warnings and hot-topic pages: who may open them, what they show, bad input."""

import datetime as dt

import pytest

from hotline.analytics.models import EarlyWarning, WarningKind
from hotline.analytics.topics import hot_topics
from hotline.analytics.warnings import detect
from hotline.orgs import scope
from hotline.tickets import lifecycle


@pytest.fixture
def detected(scene):
    detect()
    return EarlyWarning.objects.get(kind=WarningKind.SPIKE)


def test_center_staff_see_the_warning_its_evidence_and_tickets(client, province, detected, scene):
    client.force_login(province.users["fz_supervisor"])

    listing = client.get("/analytics/warnings/?days=30").content.decode()
    detail = client.get(f"/analytics/warnings/{detected.pk}/").content.decode()

    assert detected.title in listing
    assert f"/analytics/warnings/{detected.pk}/" in listing
    assert "baseline_weeks" in detail and "[2, 2, 2, 2, 2, 2, 2, 2]" in detail
    assert all(t.number in detail for t in scene)


@pytest.mark.parametrize("username", ["xm_dispatcher", "tj_housing_handler", "fz_agent"])
def test_outside_the_scope_or_role_the_warning_does_not_exist(client, province, detected, username):
    client.force_login(province.users[username])

    listing = client.get("/analytics/warnings/?days=30")
    detail = client.get(f"/analytics/warnings/{detected.pk}/")

    assert detail.status_code == 404
    assert listing.status_code == (404 if username == "fz_agent" else 200)
    assert detected.title not in listing.content.decode()


def test_a_unit_sees_only_its_own_tickets_of_a_warning(client, province, detected, scene):
    u = province.users
    mine = lifecycle.accept(ticket=scene[0], by=u["fz_agent"])
    lifecycle.dispatch(ticket=mine, by=u["fz_dispatcher"], to_unit=province.units["gl_housing"])
    client.force_login(u["gl_housing_handler"])

    detail = client.get(f"/analytics/warnings/{detected.pk}/").content.decode()

    assert scene[0].number in detail
    assert not any(t.number in detail for t in scene[1:])


def test_anonymous_is_sent_to_login(client, detected):
    for path in (
        "/analytics/warnings/",
        f"/analytics/warnings/{detected.pk}/",
        "/analytics/topics/",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param("/analytics/warnings/?days=abc", "天数应为 1–366 的整数", id="days"),
        pytest.param(
            "/analytics/topics/?start=2025-13-01", "开始日期格式应为 YYYY-MM-DD", id="start"
        ),
        pytest.param(
            "/analytics/topics/?start=2025-10-02&end=2025-10-01",
            "结束日期应不早于开始日期",
            id="end-before-start",
        ),  # fmt: skip
    ],
)
def test_bad_input_is_named(client, province, query, message):
    client.force_login(province.users["fz_analyst"])

    response = client.get(query)

    assert response.status_code == 200
    assert message in response.content.decode()


def test_hot_topics_of_tickets_in_scope(client, province, scene, spike_day):
    start = spike_day - dt.timedelta(days=1)
    end = spike_day + dt.timedelta(days=1)
    client.force_login(province.users["fz_analyst"])

    (topic,) = hot_topics(scope.visible_tickets(province.users["fz_analyst"]), start, end)
    page = client.get(f"/analytics/topics/?start={start:%Y-%m-%d}&end={end:%Y-%m-%d}")
    xm = hot_topics(scope.visible_tickets(province.users["xm_dispatcher"]), start, end)

    assert sorted(topic.keys) == sorted(t.pk for t in scene)
    assert (topic.size, topic.citizens, topic.repeats) == (12, 12, 0)
    assert topic.region == "福州市鼓楼区"
    assert "阳光花园" in topic.title and "电梯" in topic.phrases
    assert topic.title in page.content.decode()
    assert scene[0].number in page.content.decode()
    assert xm == []


def test_a_period_over_the_sample_size_is_grouped_on_a_sample_with_counts_scaled(
    client, province, scene, spike_day, monkeypatch
):
    from hotline.analytics import topics
    from hotline.analytics.sources import period_tickets

    start = spike_day - dt.timedelta(days=1)
    end = spike_day + dt.timedelta(days=1)
    visible = scope.visible_tickets(province.users["fz_analyst"])
    n = period_tickets(visible, start, end).count()
    monkeypatch.setattr(topics, "SAMPLE_MAX", 8)
    client.force_login(province.users["fz_analyst"])

    (topic,) = hot_topics(visible, start, end)
    again = hot_topics(visible, start, end)
    page = client.get(f"/analytics/topics/?start={start:%Y-%m-%d}&end={end:%Y-%m-%d}")

    sampled = len(topic.keys)  # members drawn into the sample of 8
    assert topic.scale == n / 8 and sampled <= 8
    assert set(topic.keys) <= {t.pk for t in scene}
    assert topic.size == round(sampled * n / 8) and topic.citizens == topic.size
    assert topic.heat == topics.heat_of(topic.citizens, topic.repeats, topic.votes, topic.growth)
    assert [(t.keys, t.size) for t in again] == [(topic.keys, topic.size)]  # the same sample
    html = page.content.decode()
    assert 'data-testid="topics-sampled"' in html and "按比例估算的约数" in html
    assert "阳光花园小区" in html  # the page's period is whole days: its own sample


def test_a_period_within_the_sample_size_is_grouped_whole(province, scene, spike_day):
    start = spike_day - dt.timedelta(days=1)
    end = spike_day + dt.timedelta(days=1)
    visible = scope.visible_tickets(province.users["fz_analyst"])

    (topic,) = hot_topics(visible, start, end, sample_max=12)

    assert topic.scale == 1.0 and topic.size == 12
