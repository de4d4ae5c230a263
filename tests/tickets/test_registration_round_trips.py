"""How many statements one registration sends to PostgreSQL (issue 20: one transaction of
few round trips): the number's bump with the rows' ids and the caller's earlier demands, then
the ticket, its event, its outbox row and screening's duplicate index as one statement
prepared through libpq (its values sent apart from the SQL), which PostgreSQL runs as one
transaction. A demand screening records more for (a risk, a repeat) and a registration inside
a caller's transaction take BEGIN, a string of EXECUTEs, COMMIT."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.exchange.models import OutboxMessage
from hotline.screening.models import (
    AlertKind,
    DuplicateBand,
    DuplicateSignature,
    RepeatCase,
    RiskAlert,
    RiskAssessment,
)
from hotline.tickets import history, lifecycle
from hotline.tickets.models import Ticket, TicketEvent
from tests.tickets.factory import demand

THREAT = "拖欠工资半年，再不给钱我就从你们单位楼上跳楼。"

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite numbers in the transaction"
    ),
    pytest.mark.django_db(transaction=True),  # the statements as outside a test's transaction
]


def test_one_registration_is_two_round_trips_with_its_index_in_the_insert_string(province):
    agent = province.users["fz_agent"]
    lifecycle.register(by=agent, data=demand(citizen_phone="13900000000"))  # caches warmed

    with CaptureQueriesContext(connection) as captured:
        t, created = lifecycle.register(by=agent, data=demand())

    sent = [q["sql"] for q in captured.captured_queries]
    assert created and len(sent) == 2, sent
    # The statements go as EXECUTEs of statements the connection prepared at its first
    # registration (the warm-up above): read with what each one runs. The rows' statement
    # was prepared through the protocol, not by a PREPARE of SQL.
    assert "EXECUTE hotline_stmt_" in sent[0] and "EXECUTE hotline_one_" in sent[1]
    assert _prepared()[sent[1].split()[1].split("(")[0]] is False
    sent = [_expanded(q) for q in sent]
    assert "tickets_numbercounter" in sent[0] and "citizen_phone_hash" in sent[0]
    assert "BEGIN" not in sent[1] and "COMMIT" not in sent[1]
    for table in ("tickets_ticket", "tickets_ticketevent", "exchange_outboxmessage",
                  "screening_duplicatesignature", "screening_duplicateband"):  # fmt: skip
        assert f"INSERT INTO {table}" in sent[1].replace('"', ""), table
    assert Ticket.objects.get(pk=t.pk).number == t.number
    assert DuplicateSignature.objects.filter(ticket=t).exists()
    assert DuplicateBand.objects.filter(ticket=t).exists()
    assert history.verify(t).ok


def test_a_failing_statement_of_the_string_leaves_nothing_of_the_registration(province):
    # The string has no BEGIN: PostgreSQL runs it as one transaction, so the ticket row
    # already inserted before the duplicate reference's conflict is rolled back with it.
    agent = province.users["fz_agent"]
    first, _ = lifecycle.register(by=agent, data=demand(external_ref="ref-1"))
    counts = _counts()

    with CaptureQueriesContext(connection) as captured:
        again, created = lifecycle.register(by=agent, data=demand(external_ref="ref-1"))

    assert not created and again.pk == first.pk
    assert any("INSERT INTO" in _expanded(q["sql"]) and "BEGIN" not in q["sql"]
               for q in captured.captured_queries)  # fmt: skip
    assert _counts() == counts


def test_a_new_connection_prepares_the_inserts_once_and_a_failed_string_keeps_them(province):
    agent = province.users["fz_agent"]
    connection.close()
    with CaptureQueriesContext(connection) as captured:
        lifecycle.register(by=agent, data=demand(external_ref="ref-2"))
    sent = [q["sql"] for q in captured.captured_queries]
    # Each statement prepared in a round trip of its own, once: the read and the bump, and
    # the one statement of the ticket, event, outbox row and duplicate index.
    assert sum(q.startswith("PREPARE ") for q in sent) == 3, sent
    written = [q for q in sent if "EXECUTE hotline_" in q]
    assert len(written) == 2 and all("INSERT INTO" not in q for q in written), sent

    # The duplicate reference fails the string after its statements were prepared: they
    # stay, and the next registrations on the connection use them without preparing again.
    _, created = lifecycle.register(by=agent, data=demand(external_ref="ref-2"))
    assert not created
    with CaptureQueriesContext(connection) as captured:
        t, created = lifecycle.register(by=agent, data=demand(external_ref="ref-3"))
    assert created and not any(q["sql"].startswith("PREPARE ") for q in captured)
    assert history.verify(t).ok and OutboxMessage.objects.filter(ticket=t).count() == 1


def _expanded(sent: str) -> str:
    """`sent` with each EXECUTE followed by the statement it runs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        for name, sql in cursor.fetchall():
            sent = sent.replace(f"EXECUTE {name}(", f"EXECUTE {name} [{sql}](")
    return sent


def _prepared() -> dict:
    """The connection's prepared statements: name -> whether a PREPARE of SQL made it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, from_sql FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def _counts():
    return [m.objects.count() for m in (Ticket, TicketEvent, OutboxMessage, DuplicateSignature,
                                        DuplicateBand)]  # fmt: skip


def test_a_risk_or_a_repeat_goes_through_the_transaction_and_is_recorded(province):
    agent = province.users["fz_agent"]
    with CaptureQueriesContext(connection) as captured:
        red, _ = lifecycle.register(by=agent, data=demand(content=THREAT, citizen_phone=""))
    assert "BEGIN" in [q["sql"] for q in captured.captured_queries]
    assert RiskAssessment.objects.get(ticket=red).level == "red"
    assert RiskAlert.objects.filter(ticket=red, kind=AlertKind.RED_DEMAND).exists()

    tickets = [lifecycle.register(by=agent, data=demand())[0] for _ in range(2)]
    assert not RepeatCase.objects.exists()  # two: written as one string each
    with CaptureQueriesContext(connection) as captured:
        third, _ = lifecycle.register(by=agent, data=demand())
    assert "BEGIN" in [q["sql"] for q in captured.captured_queries]
    case = RepeatCase.objects.get()
    assert case.first_ticket == tickets[0]
    assert sorted(case.hits.values_list("ticket_id", flat=True)) == [
        tickets[0].pk,
        tickets[1].pk,
        third.pk,
    ]
    for t in (red, *tickets, third):
        assert DuplicateSignature.objects.filter(ticket=t).exists()
        assert history.verify(t).ok
