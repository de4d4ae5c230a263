import datetime as dt

import pytest

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.quality import sampling
from hotline.quality.models import Reason, Sample, SampleItem

from .conftest import AFTER, WEEK, frozen, local


def test_allocation_follows_the_strata_sizes_by_largest_remainder():
    assert sampling._allocate({"a": 6, "b": 3, "c": 1}, 5) == {"a": 3, "b": 2, "c": 0}
    assert sampling._allocate({"a": 2, "b": 1}, 5) == {"a": 2, "b": 1}


def test_pick_takes_every_must_ticket_and_the_random_part_per_agent_reproducibly():
    # given two agents; agent 1 has a returned and a complained ticket
    rows = [(i, 1, "web" if i < 7 else "phone", 10, 0, 0, "") for i in range(1, 9)]
    rows += [(20, 1, "web", 10, 1, 0, ""), (21, 1, "phone", 10, 0, 0, "unsatisfied")]
    rows += [(30 + i, 2, "web", 11, 0, 0, "") for i in range(2)]

    # when
    first = sampling.pick(rows, per_agent=4, seed="fz:2026-03-02", roots={10: 1, 11: 2})
    again = sampling.pick(list(reversed(rows)), per_agent=4, seed="fz:2026-03-02",
                          roots={10: 1, 11: 2})  # fmt: skip

    # then
    assert first == again
    reasons = {tid: reason for tid, _, reason, _ in first}
    assert reasons[20] == Reason.RETURNED and reasons[21] == Reason.COMPLAINED
    random_1 = [tid for tid, agent, reason, _ in first if agent == 1 and reason == Reason.RANDOM]
    assert len(random_1) == 4
    assert len([t for t in random_1 if t < 7]) == 3  # 6 web of 8 → 3, 2 phone → 1
    assert sorted(t for t, a, _, _ in first if a == 2) == [30, 31]  # fewer than 4: all


def test_a_week_is_drawn_per_agent_with_the_reopened_ticket_and_assigned(province, center,
                                                                          week_tickets):  # fmt: skip
    with frozen(AFTER):
        sample = sampling.draw(center=center, week=WEEK, by=province.users["fz_reviewer"])

    items = list(SampleItem.objects.filter(sample=sample).order_by("id"))
    assert sample.per_agent == 3 and sample.agents == 2
    assert len(items) == 4
    assert {i.agent_id for i in items} == {province.users["fz_agent"].pk}
    assert [i.ticket.title for i in items if i.reason == Reason.REOPENED] == ["噪音扰民"]
    assert {i.checker_id for i in items} <= {
        province.users["fz_reviewer"].pk, province.users["fz_callback"].pk}  # fmt: skip
    assert all(i.stratum in {"web/0", "wechat/0"} for i in items)


@pytest.mark.parametrize(
    "week, user, error, field",
    [
        (dt.date(2026, 3, 3), "fz_reviewer", InvalidInput, "week"),
        (dt.date(2026, 3, 9), "fz_reviewer", InvalidInput, "week"),
        (WEEK, "fz_agent", Forbidden, None),
    ],
    ids=["not-a-monday", "week-not-over", "not-a-checker"],
)
def test_a_bad_draw_is_refused_and_draws_nothing(province, center, week_tickets, week, user,
                                                 error, field):  # fmt: skip
    with frozen(AFTER), pytest.raises(error) as exc:
        sampling.draw(center=center, week=week, by=province.users[user])

    assert exc.value.field == field
    assert Sample.objects.count() == 0 and SampleItem.objects.count() == 0


def test_a_week_is_drawn_once(province, center, week_tickets):
    with frozen(AFTER):
        sampling.draw(center=center, week=WEEK)
        with pytest.raises(IllegalTransition):
            sampling.draw(center=center, week=WEEK, by=province.users["fz_callback"])

    assert Sample.objects.count() == 1


def test_the_weekly_job_draws_last_week_of_planned_centers_once(province, center, week_tickets):
    from hotline.quality.tasks import weekly_samples

    with frozen(local(2026, 3, 11, 3)):
        first = weekly_samples.call()
        second = weekly_samples.call()

    assert first == {"week": "2026-03-02", "drawn": 1}
    assert second == {"week": "2026-03-02", "drawn": 0}
