"""The supervision ledger: open (marks the ticket), answer, clear, escalate; rules; API."""

import datetime as dt

import pytest

from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from hotline.supervision import services
from hotline.supervision.models import ItemLevel, ItemSource, ItemState, Notification
from hotline.tickets.models import Status, TicketEvent

from .conftest import local

BEFORE_HOLIDAY = local(2025, 9, 30, 10, 0)


@pytest.fixture
def ticket(province):
    from tests.tickets.factory import ticket_at

    return ticket_at(province, Status.IN_PROGRESS)


def test_supervisor_opens_item_and_ticket_is_marked(province, ticket):
    item = services.open_item(
        ticket=ticket, by=province.users["fz_supervisor"], reason="群众反映强烈，请加快办理"
    )

    ticket.refresh_from_db()
    assert (item.state, item.level, item.source) == (ItemState.OPEN, "center", ItemSource.MANUAL)
    assert item.target_unit == province.units["gl_housing"]
    assert ticket.is_supervised is True
    assert TicketEvent.objects.filter(ticket=ticket, action="supervise").count() == 1
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "gl_housing_handler",
        "two_hats",
    }


@pytest.mark.parametrize(
    ("user", "reason", "error"),
    [
        pytest.param("gl_housing_handler", "请加快办理", Forbidden, id="handler-cannot"),
        pytest.param("xm_dispatcher", "请加快办理", NotFound, id="other-city-404"),
        pytest.param("fz_supervisor", " ", InvalidInput, id="blank-reason"),
    ],
)
def test_open_refused_changes_nothing(province, ticket, user, reason, error):
    with pytest.raises(error):
        services.open_item(ticket=ticket, by=province.users[user], reason=reason)

    ticket.refresh_from_db()
    assert ticket.is_supervised is False
    assert services.SupervisionItem.objects.count() == 0


def test_leader_instruction_opens_at_once_and_may_repeat(province, ticket):
    by = province.users["fz_supervisor"]

    first = services.open_item(ticket=ticket, by=by, reason="市长批示：限期解决",
                               source=ItemSource.INSTRUCTION, level=ItemLevel.OFFICE)  # fmt: skip
    second = services.open_item(ticket=ticket, by=by, reason="领导批示：再次督促",
                                source=ItemSource.INSTRUCTION)  # fmt: skip

    assert (first.source, first.level, first.reason) == (
        ItemSource.INSTRUCTION, ItemLevel.OFFICE, "领导批示：市长批示：限期解决",
    )  # fmt: skip
    assert second.reason == "领导批示：再次督促"
    with pytest.raises(InvalidInput) as exc:
        services.open_item(ticket=ticket, by=by, reason="请加快", source=ItemSource.OVERDUE)
    assert exc.value.field == "source"


def test_answer_clear_and_wrong_order(province, ticket):
    u = province.users
    item = services.open_item(ticket=ticket, by=u["fz_supervisor"], reason="请加快办理")

    with pytest.raises(IllegalTransition):
        services.clear(item=item, by=u["fz_supervisor"])
    with pytest.raises(Forbidden):
        services.answer(item=item, by=u["tj_housing_handler"], body="已安排人员处理")
    answered = services.answer(item=item, by=u["gl_housing_handler"], body="已安排人员现场处理")
    cleared = services.clear(item=answered, by=u["fz_supervisor"], note="核实已整改")

    assert (answered.state, cleared.state) == (ItemState.ANSWERED, ItemState.CLEARED)
    assert cleared.closed_by == u["fz_supervisor"]


def test_escalate_opens_an_office_item(province, ticket):
    u = province.users
    item = services.open_item(ticket=ticket, by=u["fz_supervisor"], reason="请加快办理")

    new = services.escalate(item=item, by=u["fz_supervisor"], reason="逾期未反馈")

    item.refresh_from_db()
    assert item.state == ItemState.ESCALATED
    assert (new.level, new.state, new.escalated_from) == (ItemLevel.OFFICE, ItemState.OPEN, item)
    with pytest.raises(IllegalTransition):
        services.escalate(item=new, by=u["fz_supervisor"], reason="再次升级")


def test_rules_open_once_for_overdue_by_three_working_days(province, make):
    t = make(Status.IN_PROGRESS, BEFORE_HOLIDAY)

    early = services.apply_rules(now=t.handle_deadline + dt.timedelta(hours=1))
    first = services.apply_rules(now=t.handle_deadline + dt.timedelta(days=10))
    again = services.apply_rules(now=t.handle_deadline + dt.timedelta(days=11))

    t.refresh_from_db()
    assert (early, first, again) == (0, 1, 0)
    item = t.supervision_items.get()
    assert (item.source, item.opened_by.username) == (ItemSource.OVERDUE, "system:fz")
    assert t.is_supervised is True
    event = TicketEvent.objects.get(ticket=t, action="supervise")
    assert (event.actor.username, event.actor_unit.code) == ("system:fz", "fz")
    assert list(
        Notification.objects.values_list("recipient__username", "title").order_by("id")
    ) == [
        ("gl_housing_handler", "自动督办：1 件"),
        ("two_hats", "自动督办：1 件"),
    ]


def test_rule_for_tickets_reopened_twice(province, make, at):
    from hotline.tickets import lifecycle
    from hotline.tickets.models import Satisfaction

    u = province.users
    t = make(Status.IN_PROGRESS, BEFORE_HOLIDAY)
    for _ in range(2):
        t = lifecycle.reply(
            ticket=t, by=u["gl_housing_handler"], body="已督促物业维修，电梯已恢复。"
        )
        t = lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"])
        t = lifecycle.callback(ticket=t, by=u["fz_callback"],
                               satisfaction=Satisfaction.UNSATISFIED, resolved=False)  # fmt: skip

    opened = services.apply_rules(now=t.updated_at)

    assert t.reopen_count == 2
    assert opened == 1
    assert t.supervision_items.get().source == ItemSource.REOPENED


# ---- API -----------------------------------------------------------------------------------


def test_api_flow_and_errors(client, province, ticket):
    u = province.users
    client.force_login(u["fz_supervisor"])
    r = client.post(
        "/api/v1/supervision/items",
        {"ticket": ticket.number, "reason": "请加快办理", "level": "office"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    item_id = r.json()["id"]

    bad = client.post(
        "/api/v1/supervision/items",
        {"ticket": ticket.number, "reason": "请加快办理", "level": "city"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "code": "validation_error",
        "field": "level",
        "message_zh": "督办级别须为 center 或 office",
        "message_en": "level must be center or office",
    }

    client.force_login(u["gl_housing_handler"])
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 1}
    r = client.post(
        f"/api/v1/supervision/items/{item_id}/answer",
        {"text": "已安排人员现场处理"},
        content_type="application/json",
    )
    assert r.json()["state"] == "answered"
    assert client.post(
        "/api/v1/notifications/read", {}, content_type="application/json"
    ).json() == {"unread": 0}

    client.force_login(u["xm_dispatcher"])
    assert client.get(f"/api/v1/supervision/items/{item_id}").status_code == 404
    assert client.get("/api/v1/supervision/items").json() == []

    client.force_login(u["fz_supervisor"])
    r = client.post(
        f"/api/v1/supervision/items/{item_id}/clear",
        {"text": "核实"},
        content_type="application/json",
    )
    assert r.json()["state"] == "cleared"
    listed = client.get("/api/v1/supervision/items?state=cleared").json()
    assert [i["id"] for i in listed] == [item_id]
    assert client.get("/api/v1/supervision/items?state=nope").status_code == 400


def test_rules_act_as_the_center_system_account_even_without_supervisors(province, make):
    from hotline.orgs.models import Membership, Role

    Membership.objects.filter(role=Role.SUPERVISOR).update(is_active=False)
    t = make(Status.IN_PROGRESS, BEFORE_HOLIDAY)

    opened = services.apply_rules(now=t.handle_deadline + dt.timedelta(days=10))

    t.refresh_from_db()
    item = t.supervision_items.get()
    system = item.opened_by
    assert opened == 1
    assert t.is_supervised is True
    assert (system.username, system.full_name) == ("system:fz", "福州市12345热线中心（系统）")
    assert (system.is_active, system.has_usable_password()) == (False, False)
    assert system.memberships.get().role == Role.SUPERVISOR


def test_disabled_system_account_skips_the_rule_and_changes_nothing(province, make):
    from hotline.orgs import services as orgs_services
    from hotline.orgs.models import Membership

    Membership.objects.filter(user=orgs_services.system_actor(province.units["fz"])).update(
        is_active=False
    )
    t = make(Status.IN_PROGRESS, BEFORE_HOLIDAY)

    opened = services.apply_rules(now=t.handle_deadline + dt.timedelta(days=10))

    t.refresh_from_db()
    assert (opened, t.is_supervised, t.supervision_items.count()) == (0, False, 0)


def test_system_account_cannot_sign_in(client, province):
    from hotline.orgs import services as orgs_services

    system = orgs_services.system_actor(province.units["fz"])

    response = client.post("/login/", {"username": system.username, "password": "!"})

    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert orgs_services.is_system_actor(system) is True
    assert orgs_services.is_system_actor(province.users["fz_supervisor"]) is False
    with pytest.raises(ValueError):
        orgs_services.system_actor(province.units["gl_housing"])
