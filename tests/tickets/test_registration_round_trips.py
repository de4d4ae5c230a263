"""How many statements one registration sends to PostgreSQL (issue 20: one transaction of
few round trips): the number's bump with the rows' ids, then BEGIN, the ticket, its event,
its outbox row and screening's duplicate index as one string, and COMMIT."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.screening.models import DuplicateBand, DuplicateSignature
from hotline.tickets import lifecycle
from hotline.tickets.models import Ticket
from tests.tickets.factory import demand

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite numbers in the transaction"
    ),
    pytest.mark.django_db(transaction=True),  # the statements as outside a test's transaction
]


def test_one_registration_is_four_round_trips_with_its_index_in_the_insert_string(province):
    agent = province.users["fz_agent"]
    lifecycle.register(by=agent, data=demand(citizen_phone="13900000000"))  # caches warmed

    with CaptureQueriesContext(connection) as captured:
        t, created = lifecycle.register(by=agent, data=demand())

    sent = [q["sql"] for q in captured.captured_queries]
    assert created and len(sent) == 4, sent
    assert "tickets_numbercounter" in sent[0]
    assert sent[1] == "BEGIN" and sent[3] == "COMMIT"
    for table in ("tickets_ticket", "tickets_ticketevent", "exchange_outboxmessage",
                  "screening_duplicatesignature", "screening_duplicateband"):  # fmt: skip
        assert f"INSERT INTO {table}" in sent[2].replace('"', ""), table
    assert Ticket.objects.get(pk=t.pk).number == t.number
    assert DuplicateSignature.objects.filter(ticket=t).exists()
    assert DuplicateBand.objects.filter(ticket=t).exists()
