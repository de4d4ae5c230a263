"""Scorecards checked by hand on a small constructed province: every numerator, denominator."""

import datetime as dt
from decimal import Decimal

import pytest

from hotline.errors import InvalidInput
from hotline.evaluation import scorecards
from hotline.evaluation.models import ScoreWeight
from hotline.screening.models import ReplyReview
from hotline.supervision import services
from hotline.tickets import lifecycle
from hotline.tickets.models import Satisfaction, Status, Ticket

from .conftest import local

T0 = local(2025, 10, 13, 9, 30)  # a Monday in October 2025
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def october(province, make, at):
    """Six tickets led by 鼓楼区住建局 in October, one in September (outside the period)."""
    u = province.users
    h = u["gl_housing_handler"]

    def through_reply(t, ack_at, reply_at):
        t = at(ack_at, lifecycle.acknowledge, ticket=t, by=h)
        t = at(reply_at, lifecycle.reply, ticket=t, by=h, body="已督促物业维修，电梯已恢复运行。")
        return at(reply_at + HOUR, lifecycle.approve_reply, ticket=t, by=u["fz_reviewer"])

    def callback(t, satisfaction, resolved):
        moment = t.replied_at + 2 * HOUR
        return at(moment, lifecycle.callback, ticket=t, by=u["fz_callback"],
                  satisfaction=satisfaction, resolved=resolved)  # fmt: skip

    new = lambda: make(Status.DISPATCHED, T0)  # noqa: E731
    a = through_reply(new(), T0 + HOUR, T0 + 24 * HOUR)
    a = callback(a, Satisfaction.SATISFIED, True)
    b = new()
    b = through_reply(b, b.ack_deadline + HOUR, b.handle_deadline + HOUR)
    b = callback(b, Satisfaction.BASICALLY, False)
    c = through_reply(new(), T0 + HOUR, T0 + 24 * HOUR)
    c = callback(c, Satisfaction.UNSATISFIED, False)  # reopens
    c = at(c.updated_at + HOUR, lifecycle.request_extension, ticket=c, by=h, days=3,
           reason="需协调多个部门现场处理")  # fmt: skip
    c = at(c.updated_at + HOUR, lifecycle.approve_extension, ticket=c, by=u["fz_dispatcher"])
    d = make(Status.DISPATCHED, T0)  # never acknowledged
    e = through_reply(new(), T0 + HOUR, T0 + 24 * HOUR)
    e = callback(e, Satisfaction.UNREACHABLE, None)
    f = new()
    at(T0 + HOUR, lifecycle.request_return, ticket=f, by=h, reason="不属于本单位职责范围")
    at(T0 + 2 * HOUR, lifecycle.reject_return, ticket=f, by=u["fz_dispatcher"],
       reason="属于本单位职责")  # fmt: skip
    make(Status.DISPATCHED, local(2025, 9, 29, 10, 0))  # outside October
    at(T0 + HOUR, services.open_item, ticket=d, by=u["fz_supervisor"], reason="请加快办理",
       now=T0 + HOUR)  # fmt: skip
    return province


def _score_replies(scores):
    """Give the stored reply reviews known scores, in reply order (constructed data)."""
    rows = list(ReplyReview.objects.order_by("id"))
    assert len(rows) == len(scores)
    for row, score in zip(rows, scores, strict=True):
        ReplyReview.objects.filter(pk=row.pk).update(score=score)


def test_every_numerator_and_denominator(october):
    p = october
    # A rated "unsatisfied" on a closed ticket arrives from sub-center imports; the lifecycle
    # reopens instead. Set it on ticket e so the denominator rule is exercised.
    e = Ticket.objects.get(satisfaction=Satisfaction.UNREACHABLE)
    Ticket.objects.filter(pk=e.pk).update(satisfaction=Satisfaction.UNSATISFIED)
    _score_replies([100, 80, 60, 40])  # the replies of a, b, c (before its reopen), e

    (card,) = scorecards.compute([p.units["gl_housing"]], "2025-10")

    assert card.counts == {
        "ack_on_time": (3, 6),  # a, c, e on time; b late; d, f never
        # a, e on time; b late; c (reopened), d and f unreplied past a deadline inside October
        "handle_on_time": (2, 6),
        "response": (3, 6),  # a, b, e replied (c's reply was undone by the reopen)
        "resolution": (1, 2),  # a resolved, b not; e unreachable gave no answer
        "satisfaction": (2, 3),  # a 满意, b 基本满意 over a, b, e
        "return": (1, 6),  # f
        "unjustified": (1, None),  # f's return was rejected
        "reopen": (1, 6),  # c
        "extension": (1, 6),  # c
        "supervision": (1, None),  # d
        "quality": (280, 4),  # 100 + 80 + 60 + 40 over four checked replies
    }
    assert (card.unjustified_returns, card.supervision, card.quality) == (1, 1, Decimal("70.00"))
    assert [card.rate(n) for n in ("response", "resolution", "satisfaction")] == [
        Decimal("50.00"), Decimal("50.00"), Decimal("66.67"),
    ]  # fmt: skip
    # Default deduction points: 签收 5, 办结 10, 退单 5, 推诿 1 each, 重办 5, 延期 2,
    # 督办 0.5 each, 质量 5 — times the shortfall (or the bad rate).
    assert card.deductions == [
        ("签收不及时", Decimal("2.50")),  # (100 - 50) × 5%
        ("未按时办结", Decimal("6.67")),  # (100 - 33.33) × 10%
        ("退单", Decimal("0.83")),  # 16.67 × 5%
        ("推诿", Decimal("1.00")),
        ("重办", Decimal("0.83")),  # 16.67 × 5%
        ("延期", Decimal("0.33")),  # 16.67 × 2%
        ("督办", Decimal("0.50")),
        ("答复质量", Decimal("1.50")),  # (100 - 70) × 5%
    ]
    # 50 × 0.30 + 50 × 0.35 + 66.67 × 0.35 = 15 + 17.5 + 23.33 = 55.83, minus 14.16
    assert card.total == Decimal("41.67")


def test_weights_most_specific_row_wins(october):
    unit = october.units["gl_housing"]
    none = {k: 0 for k in ("ack_on_time", "handle_on_time", "return_rate", "unjustified",
                           "reopen", "extension", "supervision", "quality")}  # fmt: skip
    ScoreWeight.objects.create(level="", unit_kind="department", response=20, resolution=40,
                               satisfaction=40, **none)  # fmt: skip
    ScoreWeight.objects.create(level="county", unit_kind="department", response=50,
                               resolution=25, satisfaction=25, **none)  # fmt: skip

    (card,) = scorecards.compute([unit], "2025-10")

    assert card.weights == (50, 25, 25)
    assert card.deductions == []
    assert card.total == Decimal("62.50")  # 50×50% + 50×25% + 100×25% (e is unreachable)


def test_weights_must_add_up_to_100():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        ScoreWeight(response=30, resolution=30, satisfaction=30).clean()
    assert "satisfaction" in exc.value.message_dict


def test_a_unit_with_nothing_to_rate_is_listed_but_not_ranked(province):
    units = [province.units[k] for k in ("tj_housing", "gl_housing", "fz_housing", "fz_hrss")]

    cards = scorecards.compute(units, "2025-Q4")

    # Nothing dispatched, nothing supervised: full marks by the rule, but no rank, and listed
    # after any unit that worked.
    assert {(c.unit.code, c.rank, c.total) for c in cards} == {
        ("fz_housing", None, Decimal("100.00")),
        ("fz_hrss", None, Decimal("100.00")),
        ("gl_housing", None, Decimal("100.00")),
        ("tj_housing", None, Decimal("100.00")),
    }


def _card(code, total, dispatched=5, supervision=0):
    return scorecards.Card(
        unit=type("U", (), {"code": code, "level": "county", "kind": "department"})(),
        counts={"return": (0, dispatched)},
        supervision=supervision,
        total=Decimal(total),
    )


def test_rank_competition_order():
    cards = [_card("b", 90), _card("a", 90), _card("c", 95), _card("d", 80)]
    scorecards.rank(cards)

    assert [(c.unit.code, c.rank) for c in sorted(cards, key=lambda c: (c.rank, c.unit.code))] == [
        ("c", 1), ("a", 2), ("b", 2), ("d", 4),
    ]  # fmt: skip


def test_idle_units_come_after_the_ranked_and_take_no_place():
    cards = [_card("a", 100, dispatched=0), _card("b", 70), _card("c", 100, dispatched=0,
             supervision=1), _card("d", 90)]  # fmt: skip
    scorecards.rank(cards)

    got = [(c.unit.code, c.rank) for c in sorted(cards, key=scorecards.listed)]
    # "c" had nothing dispatched but was supervised: it is ranked.
    assert got == [("c", 1), ("d", 2), ("b", 3), ("a", None)]


@pytest.mark.parametrize("period", ["2025-13", "2025-Q5", "abc", "2025-Q0"])
def test_bad_period(period):
    with pytest.raises(InvalidInput) as exc:
        scorecards.period_bounds(period)
    assert exc.value.field == "period"


def test_api_scope(client, october):
    client.force_login(october.users["fz_supervisor"])
    cards = client.get("/api/v1/evaluation/scorecards?period=2025-10").json()
    gl = next(c for c in cards if c["unit"] == "gl_housing")
    assert {r["name"]: [r["numerator"], r["denominator"]] for r in gl["rates"]}["response"] == [
        3,
        6,
    ]
    assert "xm_housing" not in {c["unit"] for c in cards}

    client.force_login(october.users["gl_housing_handler"])
    assert client.get("/api/v1/evaluation/scorecards?period=2025-10").status_code == 403
    client.force_login(october.users["fz_supervisor"])
    bad = client.get("/api/v1/evaluation/scorecards?period=2025-13")
    assert (bad.status_code, bad.json()["field"]) == (400, "period")


def test_page_shows_fractions_and_rejects_bad_period(client, october):
    client.force_login(october.users["fz_supervisor"])

    page = client.get("/evaluation/scorecards/?period=2025-10").content.decode()
    bad = client.get("/evaluation/scorecards/?period=2025-13").content.decode()

    assert "鼓楼区住建局" in page
    assert (
        '/evaluation/scorecards/gl_housing/response/?period=2025-10&amp;part=numerator">50.00%</a>'
        in page
    )
    assert "已答复的工单 ÷ 派单数" in page  # the definition next to the figure
    assert "考评周期格式应为" in bad
    client.force_login(october.users["gl_housing_handler"])
    assert client.get("/evaluation/scorecards/").status_code == 404


def test_page_and_api_list_idle_units_after_the_ranked_without_a_rank(client, october):
    client.force_login(october.users["fz_supervisor"])

    page = client.get("/evaluation/scorecards/?period=2025-10").content.decode()
    cards = client.get("/api/v1/evaluation/scorecards?period=2025-10").json()

    by_unit = {c["unit"]: c for c in cards}
    assert by_unit["gl_housing"]["rank"] == 1  # it had tickets in October
    idle = [c for c in cards if c["rank"] is None]
    assert idle and all(not r["denominator"] for c in idle for r in c["rates"])
    peers = [c for c in cards if (c["level"], c["kind"]) == (by_unit["gl_housing"]["level"],
             by_unit["gl_housing"]["kind"])]  # fmt: skip
    assert [c["rank"] is None for c in peers] == sorted(c["rank"] is None for c in peers)
    assert "不参评" in page
