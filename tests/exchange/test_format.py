import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from jsonschema import Draft202012Validator, ValidationError

from hotline.exchange import delivery, formats
from hotline.exchange.models import Delivery, DeliveryState
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .conftest import item

DOC = settings.BASE_DIR / "docs" / "exchange-schema-v1.json"


def test_the_published_schema_is_the_one_the_code_generates():
    # Regenerate with: hotline exchange schema --output docs/exchange-schema-v1.json
    assert DOC.read_text(encoding="utf-8") == formats.dumps()


def test_a_batch_the_api_accepts_validates_against_the_published_schema():
    schema = json.loads(DOC.read_text(encoding="utf-8"))

    Draft202012Validator(schema).validate({"version": "1", "tickets": [item("S1")]})


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"tickets": []}, id="empty-batch"),
        pytest.param({"tickets": [item("S2", appeal_type="gossip")]}, id="bad-code"),
        pytest.param({"tickets": [{"title": "no id"}]}, id="missing-fields"),
    ],
)
def test_the_published_schema_refuses_what_the_api_refuses(bad):
    schema = json.loads(DOC.read_text(encoding="utf-8"))

    with pytest.raises(ValidationError):
        Draft202012Validator(schema).validate(bad)


def test_the_schema_carries_the_code_lists_and_the_mapping():
    schema = formats.exchange_schema()

    assert schema["x-code-lists"]["appeal_type"]["complaint"] == "投诉"
    assert schema["x-code-lists"]["status"]["closed"] == "已办结"
    assert schema["x-code-lists"]["satisfaction"]["satisfied"] == "满意"
    assert set(schema["x-mapping"]) >= set(schema["$defs"]["ExchangeTicketIn"]["properties"])


def test_the_replay_command_requeues_dead_letters(province, subscription, capsys):
    ticket_at(province, Status.REGISTERED)
    t0 = timezone.now()
    for minutes in range(3):
        delivery.run_once(now=t0 + timedelta(minutes=minutes))

    call_command("exchange", "replay", "--subscription", str(subscription.pk), "--by", "admin")

    assert "re-queued 1" in capsys.readouterr().out
    assert Delivery.objects.get().state == DeliveryState.PENDING


def test_the_admin_action_replays_for_an_administrator(client, province, subscription):
    ticket_at(province, Status.REGISTERED)
    t0 = timezone.now()
    for minutes in range(3):
        delivery.run_once(now=t0 + timedelta(minutes=minutes))
    client.force_login(province.users["admin"])

    client.post(
        "/admin/exchange/subscription/",
        {"action": "replay_dead", "_selected_action": [subscription.pk]},
    )

    assert Delivery.objects.get().state == DeliveryState.PENDING
