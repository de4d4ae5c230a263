"""Default time limits and the choice of the most specific policy for a demand."""

import datetime as dt

import pytest
from django.contrib import admin

from hotline.catalog import calendar, policies
from hotline.catalog.admin import TimeLimitPolicyAdmin
from hotline.catalog.models import (
    AppealType,
    Category,
    LimitUnit,
    TimeLimitPolicy,
    Urgency,
)
from hotline.catalog.policies import PolicyNotFound, deadlines, policy_for
from hotline.catalog.services import load_default_policies

pytestmark = pytest.mark.django_db


def local(*args) -> dt.datetime:
    """An aware Asia/Shanghai datetime, as a clerk reads the wall clock."""
    return dt.datetime(*args, tzinfo=calendar.LOCAL_TZ)


def limits(policy: TimeLimitPolicy) -> tuple:
    return (policy.ack_value, policy.ack_unit, policy.handle_value, policy.handle_unit)


def test_defaults_cover_every_type_and_urgency(db):
    # Given no policies, when the defaults are loaded twice
    first = load_default_policies()
    second = load_default_policies()

    # then 21 general and 14 utility rows exist, the second run adding nothing
    assert first == {"created": 35, "updated": 0}
    assert second == {"created": 0, "updated": 0}
    assert TimeLimitPolicy.objects.filter(utility_only=False).count() == 21
    assert TimeLimitPolicy.objects.filter(utility_only=True).count() == 14
    assert set(TimeLimitPolicy.objects.values_list("max_extensions", "max_extension_days")) == {
        (3, 3)
    }


@pytest.mark.parametrize(
    ("appeal_type", "urgency", "expected"),
    [
        (AppealType.CONSULT, Urgency.NORMAL, (1, "working_days", 2, "working_days")),
        (AppealType.HELP, Urgency.NORMAL, (1, "working_days", 3, "working_days")),
        (AppealType.SUGGESTION, Urgency.NORMAL, (1, "working_days", 5, "working_days")),
        (AppealType.COMPLAINT, Urgency.NORMAL, (1, "working_days", 10, "working_days")),
        (AppealType.REPORT, Urgency.NORMAL, (1, "working_days", 10, "working_days")),
        (AppealType.PRAISE, Urgency.NORMAL, (1, "working_days", 5, "working_days")),
        (AppealType.OTHER, Urgency.NORMAL, (1, "working_days", 5, "working_days")),
        (AppealType.COMPLAINT, Urgency.URGENT, (2, "working_hours", 5, "working_days")),
        (AppealType.COMPLAINT, Urgency.CRITICAL, (15, "minutes", 24, "hours")),
    ],
    ids=[
        "consult",
        "help",
        "suggestion",
        "complaint",
        "report",
        "praise",
        "other",
        "urgent-complaint",
        "critical-complaint",
    ],
)
def test_province_default_without_category(default_policies, appeal_type, urgency, expected):
    # Given the defaults, when a demand without category or region asks for its policy
    policy = policy_for(appeal_type=appeal_type, urgency=urgency)

    # then the province default for its type and urgency answers
    assert limits(policy) == expected
    assert (policy.utility_only, policy.region_id) == (False, None)


@pytest.mark.parametrize(
    ("appeal_type", "urgency", "expected"),
    [
        (AppealType.HELP, Urgency.NORMAL, (30, "minutes", 24, "hours")),
        (AppealType.HELP, Urgency.URGENT, (30, "minutes", 12, "hours")),
        (AppealType.COMPLAINT, Urgency.NORMAL, (30, "minutes", 10, "working_days")),
        (AppealType.HELP, Urgency.CRITICAL, (15, "minutes", 24, "hours")),
    ],
    ids=["help", "urgent-help", "complaint", "critical-keeps-15-minutes"],
)
def test_utility_category_gets_the_utility_row(
    default_policies, categories, appeal_type, urgency, expected
):
    # Given a water-supply demand
    water = Category.objects.get(name="自来水供应")

    # when its policy is asked for
    policy = policy_for(appeal_type=appeal_type, urgency=urgency, category=water)

    # then the 30-minute utility acknowledgement applies (critical keeps its 15 minutes)
    assert limits(policy) == expected


def test_child_of_a_utility_category_is_utility(default_policies, categories):
    # Given an administrator who flagged a whole level-2 node as utility
    parent = Category.objects.get(code="0102")
    parent.is_utility = True
    parent.save()
    policies.invalidate()
    child = Category.objects.get(name="园林绿化环卫", parent=parent)

    # when a demand in a child category asks for its policy (by id, as a ticket stores it)
    policy = policy_for(appeal_type=AppealType.CONSULT, urgency=Urgency.NORMAL, category=child.pk)

    # then the ancestor's flag makes it a utility demand
    assert policy.utility_only is True


def test_region_override_is_inherited_by_lower_regions(default_policies, regions):
    # Given Fuzhou's own, shorter complaint limit
    TimeLimitPolicy.objects.create(
        appeal_type=AppealType.COMPLAINT,
        urgency=Urgency.NORMAL,
        region=regions["fuzhou"],
        ack_value=4,
        ack_unit=LimitUnit.WORKING_HOURS,
        handle_value=7,
        handle_unit=LimitUnit.WORKING_DAYS,
    )
    policies.invalidate()

    # when complaints in a Fuzhou county and in Xiamen ask for their policy
    in_gulou = policy_for(
        appeal_type=AppealType.COMPLAINT, urgency=Urgency.NORMAL, region=regions["gulou"]
    )
    in_xiamen = policy_for(
        appeal_type=AppealType.COMPLAINT, urgency=Urgency.NORMAL, region=regions["xiamen"]
    )

    # then the county inherits Fuzhou's override and Xiamen keeps the province default
    assert (in_gulou.region_id, in_gulou.handle_value) == (regions["fuzhou"].pk, 7)
    assert (in_xiamen.region_id, in_xiamen.handle_value) == (None, 10)


def test_utility_rows_win_over_a_general_region_override(default_policies, categories, regions):
    # Given Fuzhou's general complaint override and its own utility complaint row
    water = Category.objects.get(name="自来水供应")
    common = {"appeal_type": AppealType.COMPLAINT, "urgency": Urgency.NORMAL}
    TimeLimitPolicy.objects.create(
        **common, region=regions["fuzhou"], ack_value=4, ack_unit=LimitUnit.WORKING_HOURS,
        handle_value=7, handle_unit=LimitUnit.WORKING_DAYS,
    )  # fmt: skip
    policies.invalidate()

    # when a water complaint in Gulou asks, then the province utility row still applies
    policy = policy_for(**common, category=water, region=regions["gulou"])
    assert (policy.utility_only, policy.region_id, policy.ack_value) == (True, None, 30)

    # and once Fuzhou adds a utility row of its own, that one applies
    TimeLimitPolicy.objects.create(
        **common, utility_only=True, region=regions["fuzhou"], ack_value=20,
        ack_unit=LimitUnit.MINUTES, handle_value=5, handle_unit=LimitUnit.WORKING_DAYS,
    )  # fmt: skip
    policies.invalidate()
    policy = policy_for(**common, category=water, region=regions["gulou"])
    assert (policy.utility_only, policy.region_id, policy.ack_value) == (
        True,
        regions["fuzhou"].pk,
        20,
    )


def test_warm_cache_answers_without_queries(
    default_policies, categories, regions, django_assert_num_queries
):
    # Given a warm cache
    water = Category.objects.get(name="自来水供应")
    policy_for(appeal_type=AppealType.HELP, urgency=Urgency.NORMAL)

    # when a registration asks for a policy, then the database is not touched
    with django_assert_num_queries(0):
        policy = policy_for(
            appeal_type=AppealType.HELP,
            urgency=Urgency.NORMAL,
            category=water.pk,
            region=regions["gulou"],
        )
    assert policy.utility_only is True


def test_admin_save_invalidates_the_cache(default_policies, rf):
    # Given a cached consultation policy
    before = policy_for(appeal_type=AppealType.CONSULT, urgency=Urgency.NORMAL)
    assert before.handle_value == 2

    # when an administrator saves a new limit through the admin
    row = TimeLimitPolicy.objects.get(pk=before.pk)
    row.handle_value = 3
    TimeLimitPolicyAdmin(TimeLimitPolicy, admin.site).save_model(rf.post("/"), row, None, True)

    # then the next lookup sees it
    after = policy_for(appeal_type=AppealType.CONSULT, urgency=Urgency.NORMAL)
    assert after.handle_value == 3


def test_overwrite_resets_changed_defaults(default_policies):
    # Given a changed province default
    TimeLimitPolicy.objects.filter(
        appeal_type=AppealType.CONSULT, urgency=Urgency.NORMAL, utility_only=False
    ).update(handle_value=9)

    # when the defaults are loaded with overwrite, then the default value comes back
    assert load_default_policies(overwrite=True) == {"created": 0, "updated": 1}
    assert policy_for(appeal_type=AppealType.CONSULT, urgency=Urgency.NORMAL).handle_value == 2


def test_missing_policy_is_a_clear_error(db):
    # Given no policies at all, when a policy is asked for, then the error says what to do
    with pytest.raises(PolicyNotFound) as error:
        policy_for(appeal_type=AppealType.CONSULT, urgency=Urgency.NORMAL)

    assert error.value.message_zh.startswith("未配置时限规则")
    assert error.value.field == "appeal_type"


@pytest.mark.parametrize(
    ("appeal_type", "urgency", "start", "ack", "handle"),
    [
        (
            AppealType.COMPLAINT,
            Urgency.NORMAL,
            local(2025, 9, 26, 10, 0),
            local(2025, 9, 28, 17, 30),
            local(2025, 10, 16, 17, 30),
        ),
        (
            AppealType.REPORT,
            Urgency.CRITICAL,
            local(2025, 10, 1, 23, 50),
            local(2025, 10, 2, 0, 5),
            local(2025, 10, 2, 23, 50),
        ),
        (
            AppealType.CONSULT,
            Urgency.URGENT,
            local(2026, 2, 13, 16, 30),
            local(2026, 2, 14, 10, 0),
            local(2026, 2, 14, 17, 30),
        ),
    ],
    ids=["complaint-over-national-day", "critical-on-holiday-night", "urgent-before-2026-spring"],
)
def test_deadlines(default_policies, holidays, appeal_type, urgency, start, ack, handle):
    # Given a demand received at `start`, when its deadlines are computed
    policy = policy_for(appeal_type=appeal_type, urgency=urgency)

    # then acknowledgement and handling follow the policy over the real calendar
    assert deadlines(policy=policy, start=start) == (ack, handle)
