"""12345 → 110: a hand-over goes to the police partner, who acknowledges, reports progress and
concludes through the API; each step is an event of the ticket; a hand-over not acknowledged
in time alerts the center; the steps reach the police by webhook, with retry."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.exchange import delivery, police_alerts
from hotline.exchange.models import (
    HandoverState,
    PoliceLink,
    PoliceLinkSetting,
    PoliceReport,
    Subscription,
)
from hotline.screening.models import PoliceHandover
from hotline.supervision import schedule
from hotline.supervision.models import Notification
from hotline.tickets import history
from hotline.tickets.models import Status, TicketEvent
from tests.tickets.factory import ticket_at

from .police_support import hand_over, police_partner, report, signed


@pytest.fixture
def fz_police(province):
    return police_partner(province, "fz")


@pytest.fixture
def handed(client, province, fz_police):
    """A 福州 ticket in progress, handed to 福州 110 by the center's dispatcher."""
    ticket = ticket_at(province, Status.IN_PROGRESS)
    response = hand_over(client, province.users["fz_dispatcher"], ticket, fz_police)
    assert response.status_code == 201, response.content
    return ticket, response.json()["reference"]


def _at(minutes=0):
    return (timezone.now() + timedelta(minutes=minutes)).isoformat()


def _police_actions(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket, action__startswith="police_")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_the_police_acknowledge_report_progress_and_conclude(client, handed, fz_police):
    ticket, ref = handed

    listed = signed(client, fz_police, "/api/v1/exchange/police/handovers").json()
    case = signed(client, fz_police, f"/api/v1/exchange/police/handovers/{ref}").json()
    ack = report(client, fz_police, ref, "R1", "acknowledged", _at(), police_ref="JQ2026-1",
                 officer="李警官")  # fmt: skip
    progress = report(client, fz_police, ref, "R2", "progress", _at(), note="已出警，正在调查")
    done = report(client, fz_police, ref, "R3", "concluded", _at(), note="已依法训诫当事人")

    assert [x["reference"] for x in listed] == [ref]
    assert case["ticket"] == ticket.number
    assert case["citizen_phone"] == "13800000001"
    assert case["summary"] == "当事人扬言报复，涉嫌违法，移交公安处置。"
    assert [ack.status_code, progress.status_code, done.status_code] == [201, 201, 201]
    assert ack.json()["state"] == "acknowledged"
    assert ack.json()["police_ref"] == "JQ2026-1"
    assert done.json()["state"] == "concluded"
    assert done.json()["outcome"] == "已依法训诫当事人"
    assert [r["report_id"] for r in done.json()["reports"]] == ["R1", "R2", "R3"]
    assert _police_actions(ticket) == [
        "police_handover",
        "police_acknowledge",
        "police_progress",
        "police_conclude",
    ]
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS  # steps are marks, not status changes
    assert history.verify(ticket).ok
    link = PoliceLink.objects.get(reference=ref)
    assert link.read_at is not None
    assert link.handover.handed_by.username == "fz_dispatcher"


def test_handing_the_same_ticket_over_twice_is_one_hand_over(client, province, handed, fz_police):
    ticket, ref = handed

    again = hand_over(client, province.users["fz_agent"], ticket, fz_police)

    assert again.status_code == 200
    assert again.json()["reference"] == ref
    assert PoliceHandover.objects.filter(ticket=ticket).count() == 1
    assert _police_actions(ticket) == ["police_handover"]


def test_a_concluded_hand_over_may_be_followed_by_a_new_one(client, province, handed, fz_police):
    ticket, ref = handed
    report(client, fz_police, ref, "R1", "acknowledged", _at())
    report(client, fz_police, ref, "R2", "concluded", _at(), note="已处置")

    again = hand_over(client, province.users["fz_agent"], ticket, fz_police)

    assert again.status_code == 201
    assert again.json()["reference"] != ref


def test_a_resent_report_changes_nothing(client, handed, fz_police):
    ticket, ref = handed
    first = report(client, fz_police, ref, "R1", "acknowledged", _at())

    again = report(client, fz_police, ref, "R1", "acknowledged", _at())

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["state"] == "acknowledged"
    assert PoliceReport.objects.count() == 1
    assert _police_actions(ticket) == ["police_handover", "police_acknowledge"]


@pytest.mark.parametrize(
    ("steps", "status", "field"),
    [
        pytest.param([("R1", "progress", "进展")], 409, "kind", id="progress-before-ack"),
        pytest.param([("R1", "concluded", "结论")], 409, "kind", id="conclusion-before-ack"),
        pytest.param(
            [("R1", "acknowledged", ""), ("R2", "acknowledged", "")], 409, "kind", id="ack-twice"
        ),
        pytest.param(
            [("R1", "acknowledged", ""), ("R1", "progress", "进展")],
            422,
            "report_id",
            id="report-id-reused-for-another-kind",
        ),
        pytest.param(
            [("R1", "acknowledged", ""), ("R2", "progress", "  ")], 422, "note", id="empty-note"
        ),
    ],
)
def test_a_report_out_of_turn_is_refused(client, handed, fz_police, steps, status, field):
    ticket, ref = handed
    *before, last = steps
    for report_id, kind, note in before:
        assert report(client, fz_police, ref, report_id, kind, _at(), note).status_code == 201
    events = TicketEvent.objects.count()

    response = report(client, fz_police, ref, last[0], last[1], _at(), last[2])

    assert response.status_code == status
    body = response.json()
    assert body["field"] == field
    assert body["message_zh"] and body["message_en"]
    assert TicketEvent.objects.count() == events


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"kind": "acknowledged", "at": "2026-12-06T10:00:00"}, "at", id="naive-at"),
        pytest.param({"kind": "acknowledged", "at": _at(60 * 24)}, "at", id="future-at"),
        pytest.param({"kind": "approved", "at": _at()}, "kind", id="unknown-kind"),
        pytest.param({"kind": "acknowledged"}, "at", id="missing-at"),
    ],
)
def test_bad_report_input_is_422_and_changes_nothing(client, handed, fz_police, payload, field):
    ticket, ref = handed

    response = signed(
        client,
        fz_police,
        f"/api/v1/exchange/police/handovers/{ref}/reports",
        {"report_id": "R1", **payload},
    )

    assert response.status_code == 422
    body = response.json()
    assert field in (body["field"] or "")
    assert body["message_zh"] and body["message_en"]
    assert PoliceLink.objects.get(reference=ref).state == HandoverState.SENT
    assert PoliceReport.objects.count() == 0


def test_an_unknown_partner_is_422_and_nothing_is_handed_over(client, province, fz_police):
    ticket = ticket_at(province, Status.IN_PROGRESS)
    xm_police = police_partner(province, "xm")  # serves 厦门, not this 福州 ticket

    response = hand_over(client, province.users["fz_dispatcher"], ticket, xm_police)

    assert response.status_code == 422
    assert response.json()["field"] == "partner"
    assert PoliceHandover.objects.count() == 0
    assert _police_actions(ticket) == []


@pytest.mark.parametrize(
    "how",
    ["unsigned", "stale", "wrong-secret", "unknown-system"],
)
def test_unsigned_or_stale_police_calls_are_401(client, handed, fz_police, how):
    ticket, ref = handed
    path = f"/api/v1/exchange/police/handovers/{ref}/reports"
    payload = {"report_id": "R1", "kind": "acknowledged", "at": _at()}
    if how == "unsigned":
        response = client.post(path, json.dumps(payload), content_type="application/json")
    elif how == "stale":
        old = timezone.now().timestamp() - 600
        response = signed(client, fz_police, path, payload, now=old)
    elif how == "wrong-secret":
        response = signed(client, fz_police, path, payload, secret="not-the-secret")
    else:
        fz_police.code = "nosuch"
        response = signed(client, fz_police, path, payload)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert PoliceReport.objects.count() == 0


# ---- the acknowledgement limit --------------------------------------------------------------


def test_a_hand_over_not_acknowledged_in_time_alerts_the_center_once(client, province, handed):
    ticket, ref = handed
    link = PoliceLink.objects.get(reference=ref)
    assert link.ack_due_at == link.handed_at + timedelta(minutes=30)  # the default limit

    early = police_alerts.warn_unacknowledged(now=link.ack_due_at - timedelta(seconds=1))
    late = police_alerts.warn_unacknowledged(now=link.ack_due_at + timedelta(seconds=1))
    again = police_alerts.warn_unacknowledged(now=link.ack_due_at + timedelta(minutes=5))

    assert (early, late, again) == (0, 1, 0)
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"fz_dispatcher", "fz_supervisor"}  # the center's; fz_dispatcher handed over
    note = Notification.objects.get(recipient__username="fz_supervisor")
    assert ticket.number in note.body
    assert note.title == "移交公安超时未签收 1 件"
    assert _police_actions(ticket) == ["police_handover", "police_ack_overdue"]
    board = police_alerts.board_rows(province.users["fz_supervisor"], overdue_only=True,
                                     now=link.ack_due_at + timedelta(seconds=1))  # fmt: skip
    assert [r["link"].reference for r in board] == [ref]


def test_an_acknowledged_hand_over_raises_no_alert(client, handed, fz_police):
    ticket, ref = handed
    report(client, fz_police, ref, "R1", "acknowledged", _at())
    link = PoliceLink.objects.get(reference=ref)

    assert police_alerts.warn_unacknowledged(now=link.ack_due_at + timedelta(hours=1)) == 0
    assert Notification.objects.count() == 0


def test_the_center_sets_its_own_acknowledgement_limit(client, province, fz_police):
    PoliceLinkSetting.objects.create(center=province.units["fz"], ack_minutes=10)
    ticket = ticket_at(province, Status.IN_PROGRESS)

    body = hand_over(client, province.users["fz_dispatcher"], ticket, fz_police).json()

    link = PoliceLink.objects.get(reference=body["reference"])
    assert link.ack_due_at - link.handed_at == timedelta(minutes=10)


def test_the_overdue_job_is_declared_for_the_worker():
    names = {j.name for j in schedule.declared()}

    assert {"police_ack_overdue", "police_results"} <= names


# ---- webhook delivery ---------------------------------------------------------------------


def test_the_steps_reach_the_police_by_webhook_with_retry(client, handed, fz_police, receiver):
    ticket, ref = handed
    Subscription.objects.create(
        system=fz_police, url=receiver.url, secret="police-hook", max_attempts=5
    )
    now = timezone.now()

    down = delivery.run_once(now)  # the police receiver is down: the step waits for a retry
    receiver.up = True
    too_soon = delivery.run_once(now + timedelta(seconds=1))
    retried = delivery.run_once(now + timedelta(seconds=11))
    report(client, fz_police, ref, "R1", "acknowledged", _at())
    after_ack = delivery.run_once(timezone.now() + timedelta(seconds=11))

    assert down == {"queued": 1, "delivered": 0, "failed": 1}
    assert too_soon["delivered"] == 0
    assert retried["delivered"] == 1
    assert after_ack["delivered"] == 1
    # Only the linkage steps that name this partner, never the ticket's other events.
    assert [(e["topic"], e["data"]["reference"]) for e in receiver.events] == [
        ("ticket.police_handover", ref),
        ("ticket.police_acknowledge", ref),
    ]
    first = receiver.events[0]
    assert first["ticket"] == ticket.number
    assert first["data"]["note"] == "当事人扬言报复，涉嫌违法，移交公安处置。"
    headers, _ = receiver.batches[0]
    assert headers["X-Hotline-System"] == fz_police.code
