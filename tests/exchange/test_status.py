"""Status reports of self-handled tickets: POST /api/v1/exchange/status."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.errors import IllegalTransition
from hotline.exchange import services, signing
from hotline.exchange.models import OutboxMessage, SelfHandledTicket
from hotline.orgs.models import Membership, Role, Unit, UnitKind, User
from hotline.tickets import history, lifecycle
from hotline.tickets.models import Status, Ticket

from .conftest import item


@pytest.fixture
def report(client, system):
    """POST status reports signed as `system` (or as `as_system`)."""

    def _report(updates, *, as_system=None, secret=None):
        sender = as_system or system
        body = json.dumps({"updates": updates}).encode()
        head = signing.headers(sender.code, secret or sender.secret, body)
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in head.items()}
        return client.post(
            "/api/v1/exchange/status", body, content_type="application/json", **extra
        )

    return _report


def at(minutes: int) -> str:
    return (timezone.now() - timedelta(hours=1) + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def own(push):
    """A ticket the system sent as self-handled."""
    body = push([item("S1", self_handled=True)]).json()
    return Ticket.objects.get(number=body["items"][0]["number"])


def test_a_self_handled_ticket_is_registered_with_its_marker(own, system):
    marker = SelfHandledTicket.objects.get(ticket=own)

    assert marker.system == system
    assert (marker.state, marker.reported_at) == ("", None)
    assert own.status == Status.REGISTERED


def test_the_center_cannot_move_a_self_handled_ticket(own, province):
    with pytest.raises(IllegalTransition) as refused:
        lifecycle.accept(ticket=own, by=province.users["fz_agent"])

    assert refused.value.message_zh == "该工单由接入系统自行办理，状态只能由该系统报送"
    own.refresh_from_db()
    assert own.status == Status.REGISTERED


def test_the_center_can_still_supervise_it(own, province):
    t = lifecycle.supervise(ticket=own, by=province.users["fz_supervisor"], reason="群众反映强烈")

    assert t.is_supervised is True


def test_acknowledged_replied_closed_move_the_ticket_with_events_and_outbox(own, report):
    body = report(
        [
            {"external_id": "S1", "state": "acknowledged", "at": at(1)},
            {"external_id": "S1", "state": "replied", "at": at(2), "reply": "已督促施工方整改。"},
            {"external_id": "S1", "state": "closed", "at": at(3), "satisfaction": "satisfied",
             "resolved": True},
        ]
    ).json()  # fmt: skip

    assert [(i["result"], i["status"]) for i in body["items"]] == [
        ("applied", Status.IN_PROGRESS),
        ("applied", Status.REVIEWED),
        ("applied", Status.CLOSED),
    ]
    own.refresh_from_db()
    assert (own.status, own.satisfaction, own.resolved) == (Status.CLOSED, "satisfied", True)
    assert own.reply == "已督促施工方整改。"
    assert own.acknowledged_at < own.replied_at < own.closed_at
    events = list(own.events.order_by("seq"))
    assert [(e.action, e.from_status, e.to_status) for e in events[1:]] == [
        ("self_report", Status.REGISTERED, Status.IN_PROGRESS),
        ("self_report", Status.IN_PROGRESS, Status.REVIEWED),
        ("self_report", Status.REVIEWED, Status.CLOSED),
    ]
    assert events[3].data["satisfaction"] == "satisfied"
    assert history.verify(own).ok
    assert OutboxMessage.objects.filter(ticket=own, topic="ticket.self_report").count() == 3


def test_the_same_report_twice_is_unchanged_and_writes_nothing(own, report):
    update = {"external_id": "S1", "state": "acknowledged", "at": at(1)}
    report([update])

    body = report([update]).json()

    assert (body["applied"], body["unchanged"]) == (0, 1)
    assert body["items"][0]["status"] == Status.IN_PROGRESS
    assert own.events.count() == 2


def test_an_older_report_after_a_newer_one_is_stale_and_changes_nothing(own, report):
    report([{"external_id": "S1", "state": "closed", "at": at(10), "satisfaction": "basically"}])

    body = report([{"external_id": "S1", "state": "acknowledged", "at": at(5)}]).json()

    assert body["items"][0]["result"] == "stale"
    assert body["items"][0]["status"] == Status.CLOSED
    own.refresh_from_db()
    assert (own.status, own.satisfaction) == (Status.CLOSED, "basically")
    assert own.events.count() == 2


def test_a_newer_report_the_status_does_not_allow_is_rejected(own, report):
    report([{"external_id": "S1", "state": "closed", "at": at(10)}])

    body = report([{"external_id": "S1", "state": "acknowledged", "at": at(20)}]).json()

    rejected = body["items"][0]
    assert (rejected["result"], rejected["field"]) == ("rejected", "state")
    assert rejected["message_zh"] == "工单当前状态为「已办结」，不能报送「acknowledged」"


def test_reopened_after_closed_counts_a_reopen(own, report):
    report([{"external_id": "S1", "state": "closed", "at": at(1), "satisfaction": "unsatisfied"}])

    body = report([{"external_id": "S1", "state": "reopened", "at": at(2)}]).json()

    assert body["items"][0]["status"] == Status.IN_PROGRESS
    own.refresh_from_db()
    assert (own.reopen_count, own.closed_at, own.satisfaction) == (1, None, "")


@pytest.mark.parametrize(
    ("update", "field"),
    [
        pytest.param({"state": "dispatched"}, "state", id="unknown-state"),
        pytest.param(
            {"satisfaction": "thrilled", "state": "closed"}, "satisfaction", id="bad-satisfaction"
        ),  # fmt: skip
        pytest.param({"at": "2026-01-01T08:00:00"}, "at", id="time-without-zone"),
        pytest.param({"state": "replied"}, "reply", id="reply-without-text"),
        pytest.param({"external_id": "NOPE"}, "external_id", id="unknown-ticket"),
    ],
)
def test_a_bad_report_is_rejected_with_its_field_and_changes_nothing(own, report, update, field):
    body = report([{"external_id": "S1", "state": "acknowledged", "at": at(1), **update}]).json()

    rejected = body["items"][0]
    assert (rejected["result"], rejected["field"]) == ("rejected", field)
    assert rejected["message_zh"] and rejected["message_en"]
    own.refresh_from_db()
    assert own.status == Status.REGISTERED
    assert own.events.count() == 1


def test_a_report_from_the_future_is_rejected(own, report):
    future = (timezone.now() + timedelta(hours=1)).isoformat()

    body = report([{"external_id": "S1", "state": "acknowledged", "at": future}]).json()

    assert (body["items"][0]["result"], body["items"][0]["field"]) == ("rejected", "at")


def test_a_ticket_not_sent_as_self_handled_cannot_be_reported(push, report):
    push([item("N1")])

    body = report([{"external_id": "N1", "state": "acknowledged", "at": at(1)}]).json()

    assert body["items"][0]["result"] == "rejected"
    assert body["items"][0]["message_en"] == "the ticket is not handled by a connected system"
    assert Ticket.objects.get(external_ref="fzsub:N1").status == Status.REGISTERED


def test_another_system_cannot_report_on_this_systems_tickets(own, report, province):
    unit = Unit.objects.create(
        code="xm_sub", name="厦门分中心", kind=UnitKind.SUBCENTER, level="city",
        region=province.regions["350200"], parent=province.units["xm"], function="center",
    )  # fmt: skip
    bot = User.objects.create(username="xm_sub_bot")
    Membership.objects.create(user=bot, unit=unit, role=Role.DISPATCHER)
    other = services.connect_system(code="xmsub", name="厦门", unit=unit, service_user=bot)

    body = report(
        [{"external_id": "S1", "state": "acknowledged", "at": at(1)}], as_system=other
    ).json()

    assert (body["items"][0]["result"], body["items"][0]["field"]) == ("rejected", "external_id")
    own.refresh_from_db()
    assert own.status == Status.REGISTERED


def test_only_the_sending_systems_service_user_may_report(own, province):
    with pytest.raises(Exception) as refused:
        lifecycle.report_self_handled(
            ticket=own, by=province.users["fz_agent"], state="acknowledged", at=timezone.now()
        )

    assert refused.value.status == 403


def test_a_wrong_signature_is_401_and_changes_nothing(own, report):
    response = report([{"external_id": "S1", "state": "acknowledged", "at": at(1)}], secret="x")

    assert response.status_code == 401
    assert response.json()["field"] == signing.SIGNATURE_HEADER
    own.refresh_from_db()
    assert own.status == Status.REGISTERED


def test_without_signature_or_with_a_user_token_it_is_401(client, own, province):
    from hotline.orgs.services import issue_token

    update = {"updates": [{"external_id": "S1", "state": "acknowledged", "at": at(1)}]}
    _, key = issue_token(user=province.users["fz_agent"], name="t")
    anonymous = client.post("/api/v1/exchange/status", update, content_type="application/json")
    with_token = client.post(
        "/api/v1/exchange/status", update, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip

    assert (anonymous.status_code, with_token.status_code) == (401, 401)


def test_an_item_that_is_not_an_object_is_rejected_and_the_others_applied(own, report):
    body = report(["oops", {"external_id": "S1", "state": "acknowledged", "at": at(1)}]).json()

    assert [i["result"] for i in body["items"]] == ["rejected", "applied"]
