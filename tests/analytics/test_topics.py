"""Hot topics on constructed demands whose true groups are known."""

from collections import Counter
from datetime import datetime, timedelta

from hotline.analytics.topics import Demand, find_topics, heat_of

from .constructed import GROUPS, build


def purity_completeness(topics, truth) -> tuple[float, float]:
    """Purity: share of grouped demands that belong to their topic's majority group.
    Completeness: share of each true group's demands found in its single largest topic."""
    grouped = sum(t.size for t in topics)
    pure = sum(Counter(truth[k] for k in t.keys).most_common(1)[0][1] for t in topics)
    sizes = Counter(truth.values())
    best = Counter()
    for t in topics:
        for name, n in Counter(truth[k] for k in t.keys).items():
            best[name] = max(best[name], n)
    groups = [g[0] for g in GROUPS]
    completeness = sum(best[g] for g in groups) / sum(sizes[g] for g in groups)
    return pure / grouped, completeness


def test_true_groups_are_found_pure_and_complete():
    demands, truth = build()

    topics = find_topics(demands, limit=None)

    purity, completeness = purity_completeness(topics, truth)
    # Paraphrases share a place and a few problem words; a demand that words its problem
    # unlike every other may stay alone, a demand in the wrong group would mislead.
    assert purity >= 0.9
    assert completeness >= 0.85
    # Every true group is the majority of exactly one topic: no two places, no two problems
    # are fused, and none is split into two sizeable halves.
    majorities = [Counter(truth[k] for k in t.keys).most_common(1)[0][0] for t in topics
                  if t.size >= 3]  # fmt: skip
    assert sorted(majorities) == sorted(g[0] for g in GROUPS)
    assert not any(truth[k].startswith("single") for t in topics if t.size >= 3 for k in t.keys)


def test_topics_are_named_by_place_and_problem():
    demands, truth = build()

    topics = find_topics(demands, limit=None)

    by_group = {Counter(truth[k] for k in t.keys).most_common(1)[0][0]: t for t in topics}
    smoke = by_group["meili-smoke"]
    assert "魅力之城" in smoke.place
    assert "油烟" in smoke.phrases
    assert smoke.title.startswith("A市A5区 ")
    lift = by_group["lifa-lift"]
    assert "丽发新城" in lift.place
    assert "电梯" in lift.phrases


def test_heat_ranks_by_citizens_votes_and_growth():
    t0 = datetime(2025, 10, 1)

    def group(prefix, n, *, citizens=None, votes=0, start=t0, step=timedelta(days=1)):
        return [Demand(key=f"{prefix}{i}", title=f"A市A2区丽发新城小区电梯停运{i % 2}",
                       text=f"A市A2区丽发新城小区电梯停运 电梯坏了没人修 {prefix}",
                       citizen=f"{prefix}-{i % (citizens or n)}", region="", place="",
                       at=start + i * step, votes=votes) for i in range(n)]  # fmt: skip

    (one_person,) = find_topics(group("a", 6, citizens=1))
    (six_people,) = find_topics(group("b", 6))

    assert (one_person.citizens, one_person.repeats) == (1, 5)
    assert (six_people.citizens, six_people.repeats) == (6, 0)
    assert six_people.heat > one_person.heat
    assert heat_of(6, 0, 1000, 0) > heat_of(6, 0, 0, 0) + 13  # a thousand likes ≈ 14 voices
    assert heat_of(6, 0, 0, 2.0) == 1.5 * heat_of(6, 0, 0, 0)
    assert heat_of(6, 0, 0, 50) == heat_of(6, 0, 0, 4)  # growth counts up to fourfold


def test_growth_compares_the_last_quarter_with_the_one_before():
    t0 = datetime(2025, 10, 1)
    old = [t0 + timedelta(days=d) for d in (0, 1, 2, 3)]  # outside both windows
    before = [t0 + timedelta(days=25)]  # the quarter before the last (days 20–30 of 40)
    recent = [t0 + timedelta(days=d) for d in (32, 35, 36, 38, 40)]
    demands = [Demand(key=i, title="A市A2区丽发新城小区电梯停运", text="A市A2区丽发新城小区电梯停运 电梯坏了",
                      citizen=str(i), region="", place="", at=at)
               for i, at in enumerate(old + before + recent)]  # fmt: skip

    (topic,) = find_topics(demands)

    assert topic.size == 10
    assert topic.growth == 4.0  # 5 in the last 10 days against 1 in the 10 before


def test_one_demand_is_no_topic_and_nothing_is_nothing():
    d = Demand(
        key=1, text="A市某路路灯不亮", citizen="x", region="", place="", at=datetime(2025, 1, 1)
    )
    assert find_topics([d]) == []
    assert find_topics([]) == []


def test_different_counties_never_share_a_topic():
    t0 = datetime(2025, 10, 1)
    demands = [Demand(key=f"{county}{i}", title=f"{county}阳光花园小区电梯停运",
                      text=f"{county}阳光花园小区电梯停运 电梯坏了没人修", citizen=f"{county}{i}",
                      region=f"福州市{county}", place="阳光花园", at=t0 + timedelta(hours=i))
               for county in ("鼓楼区", "台江区") for i in range(3)]  # fmt: skip

    topics = find_topics(demands)

    assert sorted(sorted(t.keys) for t in topics) == [
        ["台江区0", "台江区1", "台江区2"],
        ["鼓楼区0", "鼓楼区1", "鼓楼区2"],
    ]
