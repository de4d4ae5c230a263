import pytest

from hotline.errors import Forbidden, InvalidInput
from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from hotline.topics import services, tagging
from hotline.topics.models import TagSource, Topic, TopicTicket
from hotline.topics.tasks import sweep
from tests.tickets.factory import demand, ticket_at

from .conftest import run_worker


def tagged(topic) -> dict[str, tuple[str, list[str]]]:
    return {
        tt.ticket.title: (tt.source, tt.words)
        for tt in TopicTicket.objects.filter(topic=topic).select_related("ticket")
    }


def test_past_tickets_are_tagged_in_the_background_with_progress(wage_topic, past):
    # given a topic just created: nothing tagged yet, the work queued
    assert (wage_topic.backfill_total, wage_topic.progress) == (3, 0)
    assert TopicTicket.objects.count() == 0

    # when the worker runs the queue
    out = run_worker()

    # then both wage demands are tagged (the full-width one after normalising), not the lamp
    assert "'tagged': 2" in out
    assert tagged(wage_topic) == {
        "工地拖欠农民工工资": (TagSource.RETRO, ["欠薪", "拖欠农民工工资"]),
        "公司欠薪": (TagSource.RETRO, ["欠薪"]),
    }
    topic = Topic.objects.get(pk=wage_topic.pk)
    assert (topic.backfill_scanned, topic.progress) == (3, 100)
    assert topic.backfill_finished_at is not None


def test_progress_is_saved_per_batch_and_a_rerun_adds_nothing(wage_topic, past):
    # when the retroactive pass runs in batches of one
    assert tagging.backfill(wage_topic, batch=1) == 2

    # then every row was counted once, and a second pass finds nothing left to scan
    topic = Topic.objects.get(pk=wage_topic.pk)
    assert (topic.backfill_scanned, topic.backfill_done) == (3, past[-1].pk)
    assert tagging.backfill(topic, batch=1) == 0
    assert TopicTicket.objects.filter(topic=topic).count() == 2


def test_a_range_tagged_at_intake_already_is_not_tagged_twice(wage_topic, past):
    # given one of the past wage demands tagged already (at intake, as the topic was made)
    first = TopicTicket.objects.create(
        topic=wage_topic, ticket=past[0], source=TagSource.ARRIVAL, words=["欠薪"],
        tagged_at=past[0].created_at,
    )  # fmt: skip

    # when the retroactive pass runs over its range
    tagging.backfill(wage_topic)

    # then every wage demand is tagged once, the earlier tag kept as it was
    assert TopicTicket.objects.filter(topic=wage_topic).count() == 2
    assert TopicTicket.objects.get(ticket=past[0]).pk == first.pk


def test_new_tickets_are_tagged_by_the_sweep(province, wage_topic):
    # given a new demand after the topic
    run_worker()
    new = ticket_at(province, Status.PENDING_DISPATCH, title="饭店欠薪不给", external_ref="n1")

    # when the worker's sweep runs
    result = sweep()

    # then it is tagged as an arrival, once
    assert result["tagged"] == 1
    assert tagged(wage_topic)["饭店欠薪不给"] == (TagSource.ARRIVAL, ["欠薪"])
    assert sweep()["tagged"] == 0
    assert TopicTicket.objects.filter(ticket=new).count() == 1


def test_a_ticket_outside_the_centers_region_is_not_tagged(province, wage_topic):
    run_worker()
    # 厦门's demand names the word but is not 福州's
    xm, _ = lifecycle.register(by=province.users["xm_agent"],
                               data=demand(title="厦门欠薪", region="350203"))  # fmt: skip
    assert sweep()["tagged"] == 0
    assert not TopicTicket.objects.filter(ticket=xm).exists()


def test_region_and_category_parts_narrow_the_rule(
    province, past, django_capture_on_commit_callbacks
):
    # given a topic by region only (台江区): none of the 鼓楼区 tickets match
    with django_capture_on_commit_callbacks(execute=True):
        topic = services.create_topic(center=province.units["fz"], by=province.users["fz_supervisor"],
                                      name="台江专项", region_codes=["350103"])  # fmt: skip
    run_worker()
    assert TopicTicket.objects.filter(topic=topic).count() == 0

    # when a 台江区 demand arrives and the intake tags it at once
    t = ticket_at(province, Status.REGISTERED, title="台江噪音", region="350103", external_ref="t1")
    hits = tagging.tag_ticket(t)

    # then only the 台江 topic takes it
    assert [h.name for h in hits] == ["台江专项"]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": "空规则"}, "keywords"),
        ({"name": "x", "keywords": ["欠薪"]}, "name"),
        ({"name": "错区划", "region_codes": ["350203"]}, "regions"),
        ({"name": "错分类", "category_codes": ["nope"]}, "categories"),
        ({"name": "时限", "keywords": ["欠薪"], "limit_days": 0}, "limit_days"),
    ],
    ids=["no-rule", "short-name", "region-outside", "unknown-category", "zero-limit"],
)
def test_bad_rules_are_refused_and_nothing_is_made(province, kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        services.create_topic(center=province.units["fz"], by=province.users["fz_supervisor"],
                              **kwargs)  # fmt: skip
    assert exc.value.field == field
    assert Topic.objects.count() == 0


@pytest.mark.parametrize("username", ["fz_agent", "xm_agent", "gl_housing_handler"])
def test_only_the_centers_supervisors_and_admins_define_topics(province, username):
    with pytest.raises(Forbidden):
        services.create_topic(center=province.units["fz"], by=province.users[username],
                              name="欠薪专项", keywords=["欠薪"])  # fmt: skip
    assert Topic.objects.count() == 0
